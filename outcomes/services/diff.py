"""What changed between two versions of a core outcome set.

Outcomes are matched by `Outcome.identity` (kept across versions and renames), so a renamed outcome shows as
"changed: name", not as one removed and one added. References are matched by DOI, else PMID, else citation text.
The diff feeds the version-number proposal (`VersionDiff.level`), the diff page and the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Prefetch

from outcomes.models import CoreOutcomeSetVersion, Measurement, Outcome, Reference

Level = Literal["major", "minor", "patch"]

# The outcome fields compared, in display order, with their labels.
OUTCOME_FIELDS = {
    "name": "Name",
    "definition": "Definition",
    "domains": "Domains",
    "measurements": "Measurements",
    "applies_to": "Applies to",
    "note": "Covers",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: Any  # str, or a list of str for domains and measurements
    new: Any

    @staticmethod
    def _display(value: Any) -> str:
        return "; ".join(value) if isinstance(value, list) else str(value)

    @property
    def old_display(self) -> str:
        return self._display(self.old)

    @property
    def new_display(self) -> str:
        return self._display(self.new)

    def to_dict(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class OutcomeChange:
    identity: uuid.UUID
    old: Outcome
    new: Outcome
    fields: list[FieldChange]

    @property
    def meaning_changed(self) -> bool:
        """The curator flagged, on the newer outcome, that its definition changed meaning."""
        return self.new.meaning_changed

    def to_dict(self) -> dict:
        return {
            "identity": str(self.identity),
            "old_name": self.old.name,
            "new_name": self.new.name,
            "meaning_changed": self.meaning_changed,
            "fields": [change.to_dict() for change in self.fields],
        }


@dataclass(frozen=True)
class ReferenceChange:
    old: Reference
    new: Reference
    fields: list[FieldChange]


@dataclass
class VersionDiff:
    old: CoreOutcomeSetVersion
    new: CoreOutcomeSetVersion
    added: list[Outcome] = field(default_factory=list)
    removed: list[Outcome] = field(default_factory=list)
    changed: list[OutcomeChange] = field(default_factory=list)
    unchanged_count: int = 0
    references_added: list[Reference] = field(default_factory=list)
    references_removed: list[Reference] = field(default_factory=list)
    references_changed: list[ReferenceChange] = field(default_factory=list)

    @property
    def has_outcome_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def has_reference_changes(self) -> bool:
        return bool(self.references_added or self.references_removed or self.references_changed)

    @property
    def is_empty(self) -> bool:
        return not (self.has_outcome_changes or self.has_reference_changes)

    @property
    def level(self) -> Level:
        """The semantic-version bump this change needs, going from `old` to `new` (docs/versions.md).

        major: an outcome removed, or a kept outcome whose definition the curator flagged as changing meaning;
        minor: an outcome added; patch: anything else (wording, domains, instruments, timing, references, or
        nothing at all).
        """
        if self.removed or any(change.meaning_changed for change in self.changed):
            return "major"
        if self.added:
            return "minor"
        return "patch"

    def to_dict(self) -> dict:
        """A JSON-ready form for the API."""

        def outcome(o: Outcome) -> dict:
            return {"identity": str(o.identity), "name": o.name}

        def reference(r: Reference) -> dict:
            return {"citation": r.citation, "doi": r.doi, "pmid": r.pmid, "pmcid": r.pmcid}

        return {
            "old": self.old.version,
            "new": self.new.version,
            "level": self.level,
            "outcomes": {
                "added": [outcome(o) for o in self.added],
                "removed": [outcome(o) for o in self.removed],
                "changed": [change.to_dict() for change in self.changed],
                "unchanged": self.unchanged_count,
            },
            "references": {
                "added": [reference(r) for r in self.references_added],
                "removed": [reference(r) for r in self.references_removed],
                "changed": [
                    {"old": reference(c.old), "new": reference(c.new), "fields": [f.to_dict() for f in c.fields]}
                    for c in self.references_changed
                ],
            },
        }


def _outcomes(version: CoreOutcomeSetVersion) -> list[Outcome]:
    # Three queries per version whatever its size: outcomes, their domains, their measurements with instruments.
    return list(
        Outcome.objects.filter(version=version)
        .prefetch_related(
            "domains",
            Prefetch("measurements", queryset=Measurement.objects.select_related("instrument")),
        )
        .order_by("order", "id")
    )


def _outcome_values(outcome: Outcome) -> dict[str, Any]:
    return {
        "name": outcome.name,
        "definition": outcome.definition,
        "domains": [str(domain) for domain in sorted(outcome.domains.all(), key=lambda d: d.number)],
        "measurements": [str(m) + (f" ({m.note})" if m.note else "") for m in outcome.measurements.all()],
        "applies_to": outcome.applies_to,
        "note": outcome.note,
    }


def _changes(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str]) -> list[FieldChange]:
    return [FieldChange(name, label, old[name], new[name]) for name, label in labels.items() if old[name] != new[name]]


def _reference_key(reference: Reference) -> str:
    if reference.doi:
        return f"doi:{reference.doi.lower()}"
    if reference.pmid:
        return f"pmid:{reference.pmid}"
    return f"citation:{' '.join(reference.citation.split()).lower()}"


REFERENCE_FIELDS = {"citation": "Citation", "doi": "DOI", "pmid": "PMID", "pmcid": "PMCID", "url": "URL"}


def version_diff(*, old: CoreOutcomeSetVersion, new: CoreOutcomeSetVersion) -> VersionDiff:
    """Compare two versions of one set: outcomes added, removed and changed field by field; references too.

    Either order is accepted (comparing a newer with an older version shows the changes backwards).
    """
    diff = VersionDiff(old=old, new=new)
    old_outcomes = {o.identity: o for o in _outcomes(old)}
    new_outcomes = _outcomes(new)
    new_identities = {o.identity for o in new_outcomes}
    for outcome in new_outcomes:
        before = old_outcomes.get(outcome.identity)
        if before is None:
            diff.added.append(outcome)
            continue
        fields = _changes(_outcome_values(before), _outcome_values(outcome), OUTCOME_FIELDS)
        if fields or outcome.meaning_changed:
            diff.changed.append(OutcomeChange(outcome.identity, before, outcome, fields))
        else:
            diff.unchanged_count += 1
    diff.removed = [o for identity, o in old_outcomes.items() if identity not in new_identities]

    old_refs = {_reference_key(r): r for r in Reference.objects.filter(version=old).order_by("order", "id")}
    new_refs = list(Reference.objects.filter(version=new).order_by("order", "id"))
    new_keys = set()
    for reference in new_refs:
        key = _reference_key(reference)
        new_keys.add(key)
        before = old_refs.get(key)
        if before is None:
            diff.references_added.append(reference)
            continue
        values = {name: getattr(before, name) for name in REFERENCE_FIELDS}
        fields = _changes(values, {name: getattr(reference, name) for name in REFERENCE_FIELDS}, REFERENCE_FIELDS)
        if fields:
            diff.references_changed.append(ReferenceChange(before, reference, fields))
    diff.references_removed = [r for key, r in old_refs.items() if key not in new_keys]
    return diff
