"""Reads of outcome concept sets: the latest reviewed revision per outcome (what exports use), an outcome's history.

Concept sets belong to an outcome's identity, not to a version's row, so they cannot be prefetched through a
foreign key: `version_concept_sets` reads them for all of a version's outcomes in two queries and keeps the
answer on the version object, so every export and page of one request reads them once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Max, OuterRef, Prefetch, QuerySet, Subquery

from outcomes.models import ConceptSetItem, ConceptSetRevision, CoreOutcomeSetVersion, Outcome

Status = ConceptSetRevision.Status


def _with_items(queryset: QuerySet[ConceptSetRevision]) -> QuerySet[ConceptSetRevision]:
    return queryset.prefetch_related(Prefetch("items", queryset=ConceptSetItem.objects.order_by("order", "id")))


def reviewed_concept_sets(identities: Iterable[uuid.UUID]) -> dict[uuid.UUID, ConceptSetRevision]:
    """The latest reviewed revision of each outcome identity that has one (two queries whatever the number)."""
    latest = (
        ConceptSetRevision.objects.filter(outcome_identity=OuterRef("outcome_identity"), status=Status.REVIEWED)
        .order_by("-number")
        .values("pk")[:1]
    )
    revisions = _with_items(
        ConceptSetRevision.objects.filter(outcome_identity__in=list(identities), status=Status.REVIEWED).filter(
            pk=Subquery(latest)
        )
    )
    return {revision.outcome_identity: revision for revision in revisions}


def version_concept_sets(version: CoreOutcomeSetVersion) -> dict[uuid.UUID, ConceptSetRevision]:
    """reviewed_concept_sets for the (prefetched) outcomes of a version, read once per version object."""
    cached = getattr(version, "_concept_sets", None)
    if cached is None:
        cached = reviewed_concept_sets(outcome.identity for outcome in version.outcomes.all())
        version._concept_sets = cached
    return cached


def concept_sets_changed_at() -> Subquery:
    """For a version queryset: when a concept set of its set was last reviewed (part of a frozen version's ETag,
    since its documents carry the latest reviewed concept sets)."""
    return Subquery(
        ConceptSetRevision.objects.filter(core_outcome_set=OuterRef("core_outcome_set"), status=Status.REVIEWED)
        .values("core_outcome_set")
        .annotate(latest=Max("reviewed_at"))
        .values("latest")[:1]
    )


def outcome_revisions(identity: uuid.UUID, *, include_proposed: bool) -> list[ConceptSetRevision]:
    """An outcome's revisions, newest first, with their items and people; a pending proposal for curators only."""
    qs = ConceptSetRevision.objects.filter(outcome_identity=identity).select_related("proposed_by", "reviewed_by")
    if not include_proposed:
        qs = qs.filter(status=Status.REVIEWED)
    return list(_with_items(qs.order_by("-number")))


def outcome_by_identity(identity: uuid.UUID, versions: QuerySet[CoreOutcomeSetVersion]) -> Outcome | None:
    """The newest row of an outcome among the versions given (those a user may see), with its version and set."""
    return (
        Outcome.objects.filter(identity=identity, version__in=versions)
        .select_related("version__core_outcome_set")
        .order_by("-version__major", "-version__minor", "-version__patch")
        .first()
    )
