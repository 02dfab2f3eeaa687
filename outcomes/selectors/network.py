"""The network view of a version: per outcome, in which data sources it was found and how often (count bands),
from the latest report of each data source. Public: aggregates only (docs/network.md, "The network view").

Two queries whatever the number of data sources and outcomes: the version's reports with their data sources, and the
version's outcomes (none when the caller passes them prefetched).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from outcomes.models import CoreOutcomeSetVersion, FeasibilityReport, Outcome

# Count bands (persons), lower bounds. A count is shown as its band, never exactly: bands say what a study needs to
# know (can it be measured, roughly in how many) and compare across data sources of very different sizes. The first
# band starts at the report's minimum cell count; counts under it arrive suppressed ("< 5").
BAND_BOUNDS = (100, 1_000, 10_000, 100_000)


class CellKind:
    BAND = "band"  # found in at least the minimum cell count of persons
    SMALL = "small"  # found in fewer than the minimum cell count: "< 5"
    NOT_FOUND = "not_found"  # mapped, but no person of the population has a record
    NOT_MAPPED = "not_mapped"  # the outcome had no concept set when the data source ran the runner
    NOT_REPORTED = "not_reported"  # the report does not name the outcome


MEASURABLE = (CellKind.BAND, CellKind.SMALL)
LABELS = {CellKind.NOT_FOUND: "not found", CellKind.NOT_MAPPED: "not mapped", CellKind.NOT_REPORTED: "not reported"}


def count_band(count: int, minimum: int) -> str:
    """The band of a count of at least `minimum`: "5-99", "100-999", "1,000-9,999", "10,000-99,999", "≥ 100,000"
    (written with an en dash)."""
    lower = minimum
    for upper in BAND_BOUNDS:
        if count < upper:
            return f"{lower:,}–{upper - 1:,}" if lower < upper - 1 else f"{lower:,}"
        lower = max(minimum, upper)
    return f"≥ {lower:,}"


def cell(value: object, minimum: int, *, status: str = "counted") -> tuple[str, str]:
    """(kind, label) of one reported count."""
    if status == "not_mapped" or value is None:
        return CellKind.NOT_MAPPED, LABELS[CellKind.NOT_MAPPED]
    if isinstance(value, str):
        return CellKind.SMALL, value
    if value == 0:
        return CellKind.NOT_FOUND, LABELS[CellKind.NOT_FOUND]
    return CellKind.BAND, count_band(int(value), minimum)


@dataclass
class Cell:
    kind: str
    label: str
    mapping_revision: int | None = None

    @property
    def measurable(self) -> bool:
        return self.kind in MEASURABLE


@dataclass
class SourceColumn:
    name: str
    country: str
    cdm_version: str
    vocabulary_version: str
    is_demo: bool
    generated_at: object
    received_at: object
    population: Cell


@dataclass
class OutcomeRow:
    outcome: Outcome
    cells: list[Cell]

    @property
    def measurable_in(self) -> int:
        return sum(1 for c in self.cells if c.measurable)


@dataclass
class NetworkView:
    version: CoreOutcomeSetVersion
    sources: list[SourceColumn] = field(default_factory=list)
    rows: list[OutcomeRow] = field(default_factory=list)

    @property
    def measurable_outcomes(self) -> int:
        return sum(1 for r in self.rows if r.measurable_in)


def _column(report: FeasibilityReport) -> SourceColumn:
    doc, source = report.document, report.data_source
    kind, label = cell(doc["population"]["persons"], doc["min_cell_count"])
    return SourceColumn(
        name=str(source),
        country=source.country,
        cdm_version=doc["cdm"].get("cdm_version") or source.cdm_version,
        vocabulary_version=doc["cdm"].get("vocabulary_version") or "",
        is_demo=source.is_demo,
        generated_at=report.generated_at,
        received_at=report.received_at,
        population=Cell(kind, label),
    )


def network_view(version: CoreOutcomeSetVersion, *, outcomes: Iterable[Outcome] | None = None) -> NetworkView:
    """The matrix outcome x data source of one version."""
    reports = list(
        FeasibilityReport.objects.filter(version=version).select_related("data_source").order_by("data_source__name")
    )
    return network_view_from(version, reports, list(outcomes if outcomes is not None else version.outcomes.all()))


def network_view_from(
    version: CoreOutcomeSetVersion, reports: list[FeasibilityReport], outcomes: list[Outcome]
) -> NetworkView:
    view = NetworkView(version=version, sources=[_column(r) for r in reports])
    by_report = [{o["identity"]: o for o in r.document["outcomes"]} for r in reports]
    for outcome in outcomes:
        cells = []
        for report, entries in zip(reports, by_report, strict=True):
            entry = entries.get(str(outcome.identity))
            if entry is None:
                cells.append(Cell(CellKind.NOT_REPORTED, LABELS[CellKind.NOT_REPORTED]))
                continue
            kind, label = cell(entry["persons"], report.document["min_cell_count"], status=entry["status"])
            cells.append(Cell(kind, label, entry.get("mapping_revision")))
        view.rows.append(OutcomeRow(outcome=outcome, cells=cells))
    return view


def network_views(versions: list[CoreOutcomeSetVersion]) -> list[NetworkView]:
    """The network views of many versions in two queries (the registry dump): only versions with a report."""
    reports = list(
        FeasibilityReport.objects.filter(version__in=versions)
        .select_related("data_source")
        .order_by("version_id", "data_source__name")
    )
    by_version: dict[int, list[FeasibilityReport]] = {}
    for report in reports:
        by_version.setdefault(report.version_id, []).append(report)
    outcomes: dict[int, list[Outcome]] = {}
    for outcome in Outcome.objects.filter(version_id__in=list(by_version)).order_by("order", "id"):
        outcomes.setdefault(outcome.version_id, []).append(outcome)
    return [network_view_from(v, by_version[v.pk], outcomes.get(v.pk, [])) for v in versions if v.pk in by_version]


def network_view_document(view: NetworkView) -> dict:
    """The view as JSON (the API and the registry dump)."""
    version = view.version
    return {
        "set": version.core_outcome_set.slug,
        "version": version.version,
        "data_sources": [
            {
                "name": s.name,
                "country": s.country,
                "cdm_version": s.cdm_version,
                "vocabulary_version": s.vocabulary_version,
                "is_demo": s.is_demo,
                "report_generated_at": s.generated_at.isoformat(),
                "report_received_at": s.received_at.isoformat(),
                "population": {"kind": s.population.kind, "label": s.population.label},
            }
            for s in view.sources
        ],
        "outcomes": [
            {
                "identity": str(row.outcome.identity),
                "name": row.outcome.name,
                "measurable_in": row.measurable_in,
                "cells": [
                    {"kind": c.kind, "label": c.label, "mapping_revision": c.mapping_revision} for c in row.cells
                ],
            }
            for row in view.rows
        ],
        "measurable_outcomes": view.measurable_outcomes,
    }
