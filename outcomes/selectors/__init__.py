"""Reads: querysets and small read models that views, the API, exports and tasks share, one module per subject.

- `registry`: sets, versions and outcomes, who may see a version, a set's current version, history, snapshots.
- `public`: the public website's lists of sets, pagination, cross-set views (domains, instruments) and compare.
- `search`: the search page and search API (the engine itself is outcomes/search/).
- `consensus`: processes, rounds, a panelist's view, participation, results and the report.

The registry reads are used almost everywhere, so they are importable from the package itself
(`from outcomes import selectors; selectors.versions_visible_to(...)`); they live in `registry`.
"""

from __future__ import annotations

from outcomes.selectors.registry import (
    PUBLIC_STATUSES,
    Status,
    audit_event_list,
    core_outcome_set_list,
    core_outcome_set_versions,
    corrected_in,
    current_version,
    current_version_pk,
    current_versions,
    disease_area_list,
    outcomes_by_core_area,
    public_versions,
    registry_snapshot,
    version_detail_queryset,
    version_document_queryset,
    version_history,
    version_queryset,
    version_visible_to,
    versions_visible_to,
)

__all__ = [
    "PUBLIC_STATUSES",
    "Status",
    "audit_event_list",
    "core_outcome_set_list",
    "core_outcome_set_versions",
    "corrected_in",
    "current_version",
    "current_version_pk",
    "current_versions",
    "disease_area_list",
    "outcomes_by_core_area",
    "public_versions",
    "registry_snapshot",
    "version_detail_queryset",
    "version_document_queryset",
    "version_history",
    "version_queryset",
    "version_visible_to",
    "versions_visible_to",
]
