"""Reads shared by pages, the API and exports: querysets with their related rows already fetched."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.db.models.expressions import Func, OuterRef, Subquery
from django.db.models.fields import IntegerField
from django.db.models.functions import Coalesce

from diseases.models import DiseaseArea
from outcomes.models import (
    AuditEvent,
    ConsensusProcess,
    CoreArea,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Measurement,
    Outcome,
    OutcomeDomain,
)
from outcomes.permissions import is_curator
from outcomes.selectors.translations import reviewed_translations

Status = CoreOutcomeSetVersion.Status
# Versions everybody may see (versions_visible_to): exactly the frozen ones, whose content never changes.
PUBLIC_STATUSES = CoreOutcomeSetVersion.FROZEN_STATUSES


def disease_area_list() -> QuerySet[DiseaseArea]:
    # Here rather than in diseases/selectors.py: the count of sets per area is the registry's data.
    return DiseaseArea.objects.annotate(
        condition_count=Count("conditions", distinct=True),
        set_count=Count("core_outcome_sets", distinct=True),
    ).order_by("name")


def outcome_queryset() -> QuerySet[Outcome]:
    # evidence: the consensus result that decided the outcome (public/_provenance.html shows it).
    return (
        Outcome.objects.select_related("evidence__round_item__round")
        .prefetch_related(
            "domains",
            Prefetch("measurements", queryset=Measurement.objects.select_related("instrument")),
            reviewed_translations(),
        )
        .order_by("order", "id")
    )


def version_queryset() -> QuerySet[CoreOutcomeSetVersion]:
    """Versions with everything a version page, its API document and its exports show."""
    return CoreOutcomeSetVersion.objects.select_related(
        "core_outcome_set__disease_area", "derived_from", "published_by"
    ).prefetch_related(
        Prefetch("outcomes", queryset=outcome_queryset()),
        "references",
        "core_outcome_set__conditions__icd10_codes",
    )


def core_outcome_set_list() -> QuerySet[CoreOutcomeSet]:
    """Sets with their disease area, conditions, current version (`current_versions`, a list of at most one) and
    the number of its outcomes (`outcome_count`)."""
    return (
        CoreOutcomeSet.objects.select_related("disease_area")
        .prefetch_related(
            "conditions",
            Prefetch(
                "versions", queryset=current_versions().select_related("derived_from"), to_attr="current_versions"
            ),
        )
        .annotate(current_pk=current_version_pk(), outcome_count=_current_outcome_count())
        .order_by("title")
    )


def _current_outcome_count() -> Subquery:
    """The outcomes of the set's current version, as a correlated subquery over `current_pk` (0 without one).

    A subquery is evaluated for the rows of the page only; a Count over a join would add GROUP BY and a join over
    every outcome of every matching set to the list query and to its paginator's count (docs/performance.md).
    """
    outcomes = Outcome.objects.filter(version_id=OuterRef("current_pk"))
    return Subquery(outcomes.order_by().values(n=Func("pk", function="COUNT")), output_field=IntegerField())


def current_version_pk(set_ref: str = "pk") -> Coalesce:
    """The id of a set's current version, as an SQL expression over the set's id (`OuterRef(set_ref)`).

    The one definition of "the current version of a set", used by the set page, `/latest/` (page and API), the
    API's set list, search and the cross-set pages: the published version, else (after a withdrawal) the latest
    public version, withdrawn or superseded, which pages and API show with its status. A set with no public
    version has none. Two subqueries rather than one sorted by "published first": the first is a lookup in the
    unique index of published versions, and the second only runs for a set without a published version.
    """
    versions = CoreOutcomeSetVersion.objects.filter(core_outcome_set=OuterRef(set_ref))
    published = versions.filter(status=Status.PUBLISHED).order_by().values("pk")[:1]  # at most one; unsorted
    latest = versions.filter(status__in=PUBLIC_STATUSES).order_by("-major", "-minor", "-patch").values("pk")[:1]
    return Coalesce(Subquery(published), Subquery(latest))


def current_versions(queryset: QuerySet[CoreOutcomeSetVersion] | None = None) -> QuerySet[CoreOutcomeSetVersion]:
    """The versions (of `queryset`) that are the current version of their set (current_version_pk)."""
    qs = queryset if queryset is not None else CoreOutcomeSetVersion.objects.all()
    return qs.filter(pk=current_version_pk("core_outcome_set"))


def current_version(cos: CoreOutcomeSet) -> CoreOutcomeSetVersion | None:
    """The set's current version (current_version_pk) with everything its page shows, or None."""
    return current_versions(version_queryset()).filter(core_outcome_set=cos).first()


def core_outcome_set_versions(
    cos: CoreOutcomeSet, *, user: AbstractBaseUser | AnonymousUser
) -> QuerySet[CoreOutcomeSetVersion]:
    """The set's versions that `user` may see (versions_visible_to), newest first, with their outcome counts."""
    qs = cos.versions.select_related("published_by", "derived_from").annotate(outcome_count=Count("outcomes"))
    return versions_visible_to(user, queryset=qs).order_by("-major", "-minor", "-patch")


@dataclass
class DomainGroup:
    domain: OutcomeDomain
    outcomes: list[Outcome]


@dataclass
class CoreAreaGroup:
    core_area: str
    label: str
    domains: list[DomainGroup]

    @property
    def outcome_count(self) -> int:
        return len({o.pk for group in self.domains for o in group.outcomes})


def outcomes_by_core_area(version: CoreOutcomeSetVersion) -> list[CoreAreaGroup]:
    """Group a version's (prefetched) outcomes by COMET core area and domain, in taxonomy order.

    An outcome classified into several domains appears under each of them, as the taxonomy intends.
    """
    by_domain: dict[int, DomainGroup] = {}
    for outcome in version.outcomes.all():
        for domain in outcome.domains.all():
            by_domain.setdefault(domain.number, DomainGroup(domain, [])).outcomes.append(outcome)
    areas: OrderedDict[str, CoreAreaGroup] = OrderedDict(
        (value, CoreAreaGroup(value, label, [])) for value, label in CoreArea.choices
    )
    for number in sorted(by_domain):
        group = by_domain[number]
        areas[group.domain.core_area].domains.append(group)
    return [area for area in areas.values() if area.domains]


def audit_event_list(*, process: ConsensusProcess | None = None) -> QuerySet[AuditEvent]:
    """The audit log, newest first; one process's events when `process` is given."""
    qs = AuditEvent.objects.select_related("actor", "process", "core_outcome_set").order_by("-created_at", "-id")
    if process is not None:
        qs = qs.filter(process=process)
    return qs


def _row(obj: Model) -> dict:
    return {field.attname: field.value_from_object(obj) for field in obj._meta.concrete_fields}


def registry_snapshot() -> list[dict]:
    """Every version of every set with its outcomes, measurements and references, as plain data.

    A canonical picture of the registry's content (ids included): a backup restored from scratch must give back
    exactly the same snapshot. Three queries per table level whatever the size (everything is prefetched).
    """
    versions = version_queryset().order_by("core_outcome_set__slug", "major", "minor", "patch", "id")
    return [
        {
            "set": _row(version.core_outcome_set),
            "conditions": sorted(c.slug for c in version.core_outcome_set.conditions.all()),
            "version": _row(version),
            "outcomes": [
                {
                    **_row(outcome),
                    "domains": sorted(d.number for d in outcome.domains.all()),
                    "measurements": [
                        {**_row(m), "instrument": m.instrument.acronym if m.instrument else None}
                        for m in outcome.measurements.all()
                    ],
                }
                for outcome in version.outcomes.all()
            ],
            "references": [_row(reference) for reference in version.references.all()],
        }
        for version in versions
    ]


def version_document_queryset() -> QuerySet[CoreOutcomeSetVersion]:
    """version_queryset plus what a version's API document and exports add: its consensus process and the
    public versions derived from it (successors)."""
    return (
        version_queryset()
        .select_related("consensus_process")
        .prefetch_related(
            Prefetch(
                "derived_versions",
                queryset=CoreOutcomeSetVersion.objects.filter(status__in=PUBLIC_STATUSES).order_by(
                    "major", "minor", "patch"
                ),
                to_attr="public_successors",
            )
        )
    )


# Who may see a version: one rule for pages, API, exports, search and dumps. Public versions are everybody's; a
# draft or a version in consensus is seen by curators, admins and the facilitators of the process that builds it.


def versions_visible_to(
    user: AbstractBaseUser | AnonymousUser, *, queryset: QuerySet[CoreOutcomeSetVersion] | None = None
) -> QuerySet[CoreOutcomeSetVersion]:
    """The versions (of `queryset`) that `user` may see."""
    qs = queryset if queryset is not None else CoreOutcomeSetVersion.objects.all()
    if is_curator(user):
        return qs
    visible = Q(status__in=PUBLIC_STATUSES)
    if user.is_authenticated:
        visible |= Q(pk__in=ConsensusProcess.objects.filter(facilitators=user).values("draft_version"))
    return qs.filter(visible)


def version_visible_to(user: AbstractBaseUser | AnonymousUser, version: CoreOutcomeSetVersion) -> bool:
    """Whether `user` may see `version`: versions_visible_to for one row (no query for a public version)."""
    if version.status in PUBLIC_STATUSES:
        return True
    return versions_visible_to(user, queryset=CoreOutcomeSetVersion.objects.filter(pk=version.pk)).exists()


def public_versions(queryset: QuerySet[CoreOutcomeSetVersion] | None = None) -> QuerySet[CoreOutcomeSetVersion]:
    """The versions (of `queryset`) everybody may see: what a whole-registry dump holds."""
    return versions_visible_to(AnonymousUser(), queryset=queryset)


@dataclass
class HistoryRow:
    """One line of a set's version history: the version and the next lower version shown (to compare with)."""

    version: CoreOutcomeSetVersion
    previous: CoreOutcomeSetVersion | None
    successor: CoreOutcomeSetVersion | None


def version_history(cos: CoreOutcomeSet, *, user: AbstractBaseUser | AnonymousUser) -> list[HistoryRow]:
    """The set's versions that `user` may see, newest first, each with its neighbours (one query whatever the
    number of versions)."""
    versions = list(core_outcome_set_versions(cos, user=user))
    return [
        HistoryRow(
            version=version,
            previous=versions[i + 1] if i + 1 < len(versions) else None,
            successor=versions[i - 1] if i > 0 else None,
        )
        for i, version in enumerate(versions)
    ]


def corrected_in(
    version: CoreOutcomeSetVersion, candidates: Iterable[CoreOutcomeSetVersion]
) -> CoreOutcomeSetVersion | None:
    """The public correction of `version` among `candidates` (the set's versions, or its `public_successors`):
    a version derived from it and flagged `is_correction` (docs/versions.md, "Corrections")."""
    return next(
        (v for v in candidates if v.is_correction and v.derived_from_id == version.pk and v.status in PUBLIC_STATUSES),
        None,
    )


def version_detail_queryset() -> QuerySet[CoreOutcomeSetVersion]:
    """A version with its outcomes, references and provenance (publisher, consensus process)."""
    return version_queryset().select_related("consensus_process")
