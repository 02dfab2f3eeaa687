"""Feasibility reports as the runner writes them, built for a version without a CDM (synthetic counts)."""

from __future__ import annotations

from outcomes.models import CoreOutcomeSetVersion


def report_for(
    version: CoreOutcomeSetVersion,
    *,
    persons: dict[str, object] | None = None,
    population: object = 1234,
    min_cell_count: int = 5,
) -> dict:
    """A valid report on `version`: outcomes named in `persons` are counted with that value, the others not mapped."""
    persons = persons or {}
    return {
        "format": "cos-registry/feasibility-report/1",
        "runner_version": "1.0.0",
        "generated_at": "2026-11-30T12:00:00Z",
        "min_cell_count": min_cell_count,
        "set": {"slug": version.core_outcome_set.slug, "version": version.version, "canonical_url": ""},
        "cdm": {
            "cdm_version": "v5.4",
            "vocabulary_version": "SYNTHETIC 2026-01",
            "observation_period_start": "2015-01-01",
            "observation_period_end": "2024-12-31",
        },
        "population": {"concepts": 2, "persons": population},
        "outcomes": [
            {
                "identity": str(o.identity),
                "name": o.name,
                "status": "counted" if o.name in persons else "not_mapped",
                "mapping_revision": 1 if o.name in persons else None,
                "concepts": 1 if o.name in persons else 0,
                "persons": persons.get(o.name),
            }
            for o in version.outcomes.order_by("order", "id")
        ],
    }
