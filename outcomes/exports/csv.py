"""CSV: one row per outcome and measurement (an outcome without a measurement has one row), UTF-8 with a header.
The last two columns give the outcome's concept set: its mapping revision and codes, or "not yet mapped".

Every row names the set, version, status and canonical URL, so a file found later traces back to its source.
Cells that a spreadsheet would run as a formula are escaped with a leading apostrophe by the one CSV writer,
outcomes.exports.csv_text (OWASP CSV injection).
"""

from __future__ import annotations

from outcomes.exports import csv_text, version_page_url
from outcomes.exports.concept_sets import codes_text, outcome_concept_set
from outcomes.models import CoreOutcomeSetVersion

HEADER = (
    "set_slug",
    "set_title",
    "version",
    "status",
    "canonical_url",
    "outcome_order",
    "outcome_identity",
    "outcome_name",
    "outcome_definition",
    "comet_domains",
    "applies_to",
    "instrument_acronym",
    "instrument_name",
    "instrument_kind",
    "timing",
    "measurement_note",
    "concept_set_revision",
    "concept_set_codes",
)


def version_rows(version: CoreOutcomeSetVersion) -> list[list[object]]:
    cos = version.core_outcome_set
    head = [
        cos.slug,
        cos.title,
        version.version,
        version.status,
        version_page_url(slug=cos.slug, version=version.version),
    ]
    rows = []
    for position, outcome in enumerate(version.outcomes.all(), start=1):
        domains = "; ".join(f"{d.number}. {d.name}" for d in outcome.domains.all())
        base = [*head, position, outcome.identity, outcome.name, outcome.definition, domains, outcome.applies_to]
        revision = outcome_concept_set(version, outcome)
        mapping = [revision.number if revision else "", codes_text(revision) if revision else "not yet mapped"]
        measurements = list(outcome.measurements.all())
        if not measurements:
            rows.append([*base, "", "", "", "", "", *mapping])
        for m in measurements:
            instrument = m.instrument
            rows.append(
                [
                    *base,
                    instrument.acronym if instrument else "",
                    instrument.name if instrument else "",
                    instrument.kind if instrument else "",
                    m.timing,
                    m.note,
                    *mapping,
                ]
            )
    return rows


def version_csv(version: CoreOutcomeSetVersion) -> str:
    return csv_text(HEADER, version_rows(version))


def version_csv_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return version_csv(version).encode("utf-8")
