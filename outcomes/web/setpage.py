"""What the set page shows beyond the outcome list: method, instruments, exports, citation, version links."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from outcomes.exports.concept_sets import outcome_concept_set, population_codes
from outcomes.models import ConceptSetRevision, CoreOutcomeSet, CoreOutcomeSetVersion, Instrument, Measurement, Outcome
from outcomes.selectors.network import network_view
from outcomes.selectors.translations import language_codes, language_name, reviewed_texts
from outcomes.services.network import REPORTABLE_STATUSES
from outcomes.web.charts import outcome_wheel

EXPORT_FORMATS = [
    ("json", "JSON", "The version as a JSON document"),
    ("csv", "CSV", "One row per outcome and measurement"),
    (
        "fhir",
        "FHIR",
        "A FHIR R5 Bundle (EBM-on-FHIR 1.0.0-ballot): an OutcomeList and one EvidenceVariable per outcome",
    ),
    ("redcap", "REDCap", "A REDCap data dictionary"),
    ("ctgov", "ClinicalTrials.gov", "Outcome measures for a ClinicalTrials.gov registration"),
    ("atlas", "ATLAS", "OHDSI ATLAS concept set expressions: per outcome, and the population"),
]

METHOD_LABELS = {
    "consensus": "Consensus method",
    "long_list": "Candidate outcomes (long list)",
    "delphi_rounds": "Delphi rounds",
    "participants": "Delphi participants",
    "consensus_meeting": "Consensus meeting",
    "working_group": "Working group members",
    "patients_in_working_group": "Patients in the working group",
    "countries": "Countries",
    "items_in_set": "Items in the set",
    "outcomes_in_set": "Outcomes in the set",
    "outcome_domains_in_set": "Outcome domains in the set",
    "stakeholders": "Stakeholders",
    "scale": "Rating scale",
    "threshold": "Consensus threshold",
    "software": "Software",
}


def version_url(slug: str, version: str) -> str:
    return reverse("web:version-detail", kwargs={"slug": slug, "version": version})


def export_url(slug: str, version: str, fmt: str) -> str:
    return reverse("api:version-export", kwargs={"slug": slug, "version": version, "format": fmt})


def _humanise(value: object) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')}: {_humanise(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_humanise(v) for v in value)
    return str(value)


def method_summary(method: dict) -> list[tuple[str, str]]:
    """The set's development method (free-form JSON) as label/value pairs, known keys first."""
    if not isinstance(method, dict):
        return []
    keys = [k for k in METHOD_LABELS if k in method] + [k for k in method if k not in METHOD_LABELS]
    return [(METHOD_LABELS.get(k, str(k).replace("_", " ").capitalize()), _humanise(method[k])) for k in keys]


@dataclass
class InstrumentUse:
    instrument: Instrument
    uses: list[tuple[Outcome, Measurement]]


def instruments_of(version: CoreOutcomeSetVersion) -> tuple[list[InstrumentUse], list[tuple[Outcome, Measurement]]]:
    """A version's instruments with the outcomes they measure, and measurements that name only a timing."""
    by_instrument: dict[int, InstrumentUse] = {}
    timing_only = []
    for outcome in version.outcomes.all():
        for m in outcome.measurements.all():
            if m.instrument is None:
                timing_only.append((outcome, m))
            else:
                by_instrument.setdefault(m.instrument.pk, InstrumentUse(m.instrument, [])).uses.append((outcome, m))
    return sorted(by_instrument.values(), key=lambda use: use.instrument.acronym.lower()), timing_only


def citation_text(cos: CoreOutcomeSet, version: CoreOutcomeSetVersion) -> str:
    year = version.published_on.year if version.published_on else "n.d."
    authors = cos.developers or "COS Registry"
    url = (
        f"https://doi.org/{version.doi}" if version.doi else settings.SITE_URL + version_url(cos.slug, version.version)
    )
    return f"{authors}. {cos.title}, version {version.version} ({year}). COS Registry. {url}"


@dataclass
class CiteFormat:
    name: str
    label: str
    text: str  # shown to copy; empty for a format only downloaded
    url: str


# Shown on the page to copy; the others (CITATION.cff, DataCite JSON) are files to download.
COPYABLE_CITATIONS = ("bibtex", "ris", "csl-json")


def cite_formats(cos: CoreOutcomeSet, version: CoreOutcomeSetVersion) -> list[CiteFormat]:
    """The "Cite" menu of a frozen version: each citation format, its text to copy, and its download link."""
    from outcomes.exports import CITATION_FORMAT_NAMES, citation_format

    if not version.is_frozen:
        return []
    formats = []
    for name in CITATION_FORMAT_NAMES:
        fmt = citation_format(name)
        text = fmt.render(version).decode() if name in COPYABLE_CITATIONS else ""
        formats.append(
            CiteFormat(name, fmt.label, text, reverse("api:version-cite", args=[cos.slug, version.version, name]))
        )
    return formats


def version_links_context(cos: CoreOutcomeSet, version: CoreOutcomeSetVersion) -> dict:
    """Context for _export_buttons, _how_to_cite and the feed link: shown on the set page and every version page."""
    return {
        "exports": [
            (fmt, label, help_text, export_url(cos.slug, version.version, fmt))
            for fmt, label, help_text in EXPORT_FORMATS
        ],
        "citation": citation_text(cos, version),
        "cite_formats": cite_formats(cos, version),
        "stable_url": settings.SITE_URL + version_url(cos.slug, version.version),
        **set_feed_context(cos),
    }


def set_feed_context(cos: CoreOutcomeSet) -> dict:
    return {
        "set_feed_url": reverse("web:feed-set", args=[cos.slug]),
        "set_feed_title": f"New and withdrawn versions of {cos.title} (Atom)",
    }


def network_context(version: CoreOutcomeSetVersion) -> dict:
    """The network view (outcome x data source) of a published or superseded version, for _network.html."""
    if version.status not in REPORTABLE_STATUSES:
        return {}
    return {"network": network_view(version, outcomes=version.outcomes.all())}


@dataclass
class OutcomeConceptSet:
    outcome: Outcome
    revision: ConceptSetRevision | None


def concept_sets_context(cos: CoreOutcomeSet, version: CoreOutcomeSetVersion) -> dict:
    """Context for _concept_sets: each outcome's latest reviewed concept set (or none) and the population's codes."""
    return {
        "concept_sets": [
            OutcomeConceptSet(outcome, outcome_concept_set(version, outcome)) for outcome in version.outcomes.all()
        ],
        "population_codes": population_codes(cos),
    }


def set_page_context(cos: CoreOutcomeSet, version: CoreOutcomeSetVersion | None, core_areas: list) -> dict:
    """Context for the set page's includes (_method, _domain_wheel, _instruments, _export_buttons, _how_to_cite)."""
    context: dict = {"method": method_summary(cos.method), **set_feed_context(cos)}
    if version is None:
        return context
    instruments, timing_only = instruments_of(version)
    context.update(
        wheel=outcome_wheel(core_areas),
        instrument_uses=instruments,
        timing_only=timing_only,
        **version_links_context(cos, version),
        **network_context(version),
        **concept_sets_context(cos, version),
    )
    return context


def outcome_language_context(request: HttpRequest, version: CoreOutcomeSetVersion | None) -> dict:
    """The languages the version's outcomes have reviewed translations in, and the one `?lang=` asks for (shown
    beside the agreed English wording, which stays the reference)."""
    available: list[str] = []
    if version is not None:
        found = {lang for outcome in version.outcomes.all() for lang in reviewed_texts(outcome)}
        available = [code for code in language_codes() if code in found]
    asked = request.GET.get("lang", "")
    return {
        "outcome_languages": [(code, language_name(code)) for code in available],
        "content_language": asked if asked in available else "",
    }
