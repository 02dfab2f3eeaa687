"""Reads behind the public website: sets with their current version, cross-set views and compare (the search page's
reads are in `outcomes.selectors.search`).

Every function issues a fixed number of queries whatever the number of sets. Lists of sets are querysets that the
views paginate (`set_page`): the count and the page's rows are one query each, and only the page's sets get their
current version (with its outcomes, domains and instruments) in a few prefetch queries. Counts over many sets
(search facets, the domain and instrument indexes) are SQL aggregations, never sets loaded into Python, cached
under a fingerprint of the public registry (`public_fingerprint`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache as memoized

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractYear

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Instrument, Measurement, Outcome, OutcomeDomain
from outcomes.selectors.registry import PUBLIC_STATUSES, Status, current_version_pk, outcome_queryset

# Sets per page on every public list of sets.
PAGE_SIZE = 20


def public_set_queryset() -> QuerySet[CoreOutcomeSet]:
    """Sets that have a public version, annotated with their current version's id (`current_pk`), by title.

    A fresh copy of one queryset built once per process (building its subqueries took most of a millisecond on
    every public page; a copy, a few microseconds): the one built is never evaluated itself, so it holds no rows."""
    return _public_sets().all()


@memoized
def _public_sets() -> QuerySet[CoreOutcomeSet]:
    return (
        CoreOutcomeSet.objects.select_related("disease_area")
        .prefetch_related("conditions")
        .filter(
            Exists(CoreOutcomeSetVersion.objects.filter(core_outcome_set=OuterRef("pk"), status__in=PUBLIC_STATUSES))
        )
        .annotate(current_pk=current_version_pk())
        .order_by("title", "pk")
    )


def with_current_versions(
    sets: QuerySet[CoreOutcomeSet] | list[CoreOutcomeSet], *, outcomes: QuerySet[Outcome] | bool = True
) -> list[CoreOutcomeSet]:
    """Evaluate `sets` (from public_set_queryset) and attach `cos.current`, with its outcomes if asked.

    `outcomes` may be the queryset to prefetch them with (default: everything the pages show of an outcome).
    Each set also gets `current_outcome_count`.
    """
    sets = list(sets)
    ids = [cos.current_pk for cos in sets]
    versions = CoreOutcomeSetVersion.objects.filter(pk__in=ids).annotate(outcome_count=Count("outcomes"))
    if outcomes is not False:
        queryset = outcome_queryset() if outcomes is True else outcomes
        versions = versions.prefetch_related(Prefetch("outcomes", queryset=queryset))
    by_pk = {version.pk: version for version in versions} if ids else {}
    for cos in sets:
        cos.current = by_pk.get(cos.current_pk)
        cos.current_outcome_count = cos.current.outcome_count if cos.current else 0
    return sets


def set_page(
    sets: QuerySet[CoreOutcomeSet],
    number: str | int | None,
    *,
    rows: Callable[[list], list] | None = None,
    count: int | None = None,
) -> Page:
    """One page of `sets` (Paginator.get_page: a bad number gives the nearest page); `rows` turns the page's sets
    into what the template shows (by default the sets with their current version, without its outcomes).

    `count`: how many `sets` there are, when already known (search counts them with its facets).
    """
    paginator = Paginator(sets, PAGE_SIZE)
    if count is not None:
        paginator.count = count  # a cached_property: this saves the COUNT query
    page = paginator.get_page(number)
    sets_of_page = list(page.object_list)
    page.object_list = rows(sets_of_page) if rows else with_current_versions(sets_of_page, outcomes=False)
    # The page numbers the navigation shows: first, last and the current one's neighbours, with gaps elided.
    page.nearby_numbers = list(page.paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1))
    return page


def _current_version_ids(sets: QuerySet[CoreOutcomeSet]) -> QuerySet:
    return sets.order_by().values("current_pk")


def _current_outcomes(*conditions: Q, **filters) -> Exists:
    """Whether an outcome of the set's current version matches."""
    return Exists(Outcome.objects.filter(*conditions, version_id=OuterRef("current_pk"), **filters))


def recently_published_versions(*, limit: int = 6) -> QuerySet[CoreOutcomeSetVersion]:
    return (
        CoreOutcomeSetVersion.objects.filter(status=Status.PUBLISHED)
        .select_related("core_outcome_set__disease_area")
        .order_by("-published_on", "-published_at", "-pk")[:limit]
    )


def disease_area_sets(area: DiseaseArea) -> QuerySet[CoreOutcomeSet]:
    return public_set_queryset().filter(disease_area=area)


def condition_sets(condition: Condition) -> QuerySet[CoreOutcomeSet]:
    """Sets of a condition or of one of its narrower conditions."""
    links = CoreOutcomeSet.conditions.through.objects.filter(coreoutcomeset_id=OuterRef("pk"))
    return public_set_queryset().filter(Exists(links.filter(Q(condition=condition) | Q(condition__parent=condition))))


# ---------------------------------------------------------------------------------------------- counts over many sets

# Counts over many sets (search facets, the domain and instrument indexes) cost a join of every matching set's
# current outcomes: about a second over all 25,000 sets of the benchmark. They are cached under a fingerprint of
# what they depend on, so they are recomputed after a change and never served stale; the TTL only bounds memory.
COUNTS_CACHE_SECONDS = 60 * 60


def public_fingerprint() -> str:
    """Changes whenever a public count can: a version is published, superseded or withdrawn (the services stamp
    `updated_at`; public versions' content is frozen), or a set or its conditions change. (Renaming a disease area's
    slug is not seen: its counts catch up within COUNTS_CACHE_SECONDS.)"""
    versions = CoreOutcomeSetVersion.objects.filter(status__in=PUBLIC_STATUSES).aggregate(
        n=Count("pk"), last=Max("pk"), changed=Max("updated_at")
    )
    sets = CoreOutcomeSet.objects.aggregate(n=Count("pk"), changed=Max("updated_at"))
    links = CoreOutcomeSet.conditions.through.objects.aggregate(n=Count("pk"), last=Max("pk"))
    return repr((sorted(versions.items()), sorted(sets.items()), sorted(links.items())))


def _cached_counts(name: str, fingerprint: str, compute: Callable[[], object]) -> object:
    key = "cos:web-counts:" + hashlib.sha256(f"{name}|{fingerprint}".encode()).hexdigest()
    return cache.get_or_set(key, compute, COUNTS_CACHE_SECONDS)


def cached_count(sets: QuerySet[CoreOutcomeSet]) -> int:
    """`sets.count()`, cached like the other counts: for lists whose filter runs over every set (a domain's or an
    instrument's sets), where the count costs as much as the page itself."""
    sql, params = sets.order_by().values("pk").query.sql_with_params()
    return _cached_counts(f"count|{sql}|{params!r}", public_fingerprint(), sets.count)


def _domain_counts(sets: QuerySet[CoreOutcomeSet]) -> Counter:
    """Domain number -> how many of `sets` have a current outcome in it."""
    return Counter(
        dict(
            Outcome.domains.through.objects.filter(outcome__version_id__in=_current_version_ids(sets))
            .values_list("outcomedomain__number")
            .annotate(n=Count("outcome__version_id", distinct=True))
            .order_by()
        )
    )


def publication_years() -> list[int]:
    years = (
        CoreOutcomeSetVersion.objects.filter(status__in=PUBLIC_STATUSES, published_on__isnull=False)
        .annotate(year=ExtractYear("published_on"))
        .values_list("year", flat=True)
        .order_by()
        .distinct()
    )
    return sorted(set(years), reverse=True)


# ---------------------------------------------------------------------------------------------- cross-set views


@dataclass
class SetOutcomes:
    """One set and those outcomes of its current version that fall under a domain or use an instrument."""

    cos: CoreOutcomeSet
    outcomes: list[Outcome]


def domain_sets(domain: OutcomeDomain) -> QuerySet[CoreOutcomeSet]:
    return public_set_queryset().filter(_current_outcomes(domains=domain)).order_by("disease_area__name", "title", "pk")


def domain_entries(sets: list[CoreOutcomeSet], domain: OutcomeDomain) -> list[SetOutcomes]:
    """A page of `domain_sets`, each with its current outcomes in the domain."""
    return [
        SetOutcomes(cos, [o for o in cos.current.outcomes.all() if any(d.pk == domain.pk for d in o.domains.all())])
        for cos in with_current_versions(sets)
    ]


def instrument_sets(instrument: Instrument) -> QuerySet[CoreOutcomeSet]:
    return (
        public_set_queryset()
        .filter(_current_outcomes(measurements__instrument=instrument))
        .order_by("disease_area__name", "title", "pk")
    )


def instrument_entries(sets: list[CoreOutcomeSet], instrument: Instrument) -> list[SetOutcomes]:
    """A page of `instrument_sets`, each with its current outcomes measured with the instrument."""
    return [
        SetOutcomes(
            cos,
            [
                o
                for o in cos.current.outcomes.all()
                if any(m.instrument_id == instrument.pk for m in o.measurements.all())
            ],
        )
        for cos in with_current_versions(sets)
    ]


@dataclass
class DomainUse:
    domain: OutcomeDomain
    set_count: int


def domain_index() -> list[DomainUse]:
    """The 38 COMET domains in taxonomy order, each with how many public sets have outcomes in it."""
    counts = _cached_counts("domains", public_fingerprint(), lambda: _domain_counts(public_set_queryset()))
    return [DomainUse(domain, counts[domain.number]) for domain in OutcomeDomain.objects.order_by("number")]


def _instrument_counts() -> Counter:
    """Instrument id -> how many public sets measure a current outcome with it."""
    return Counter(
        dict(
            Measurement.objects.filter(outcome__version_id__in=_current_version_ids(public_set_queryset()))
            .values_list("instrument_id")
            .annotate(n=Count("outcome__version_id", distinct=True))
            .order_by()
        )
    )


@dataclass
class InstrumentUse:
    instrument: Instrument
    set_count: int


def instrument_index() -> list[InstrumentUse]:
    """The instruments by acronym, each with how many public sets measure a current outcome with it."""
    counts = _cached_counts("instruments", public_fingerprint(), _instrument_counts)
    return [InstrumentUse(instrument, counts[instrument.pk]) for instrument in Instrument.objects.order_by("acronym")]


# ---------------------------------------------------------------------------------------------- compare


@dataclass
class CompareRow:
    domain: OutcomeDomain
    a: list[Outcome]
    b: list[Outcome]

    @property
    def kind(self) -> str:
        if self.a and self.b:
            return "shared"
        return "only-a" if self.a else "only-b"


@dataclass
class Comparison:
    a: CoreOutcomeSet
    b: CoreOutcomeSet
    rows: list[CompareRow]
    # Outcome names (case-insensitive) that appear in both sets, whatever their domains.
    same_names: set[str]

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    @property
    def shared_count(self) -> int:
        return self.count("shared")

    @property
    def only_a_count(self) -> int:
        return self.count("only-a")

    @property
    def only_b_count(self) -> int:
        return self.count("only-b")


def set_compare(*, a: CoreOutcomeSet, b: CoreOutcomeSet) -> Comparison:
    """Match two sets' current outcomes by COMET domain, in taxonomy order."""
    sets = {cos.pk: cos for cos in with_current_versions(public_set_queryset().filter(pk__in=[a.pk, b.pk]))}
    a, b = sets[a.pk], sets[b.pk]
    by_domain: dict[int, CompareRow] = {}
    for side, cos in (("a", a), ("b", b)):
        for outcome in cos.current.outcomes.all():
            for domain in outcome.domains.all():
                row = by_domain.setdefault(domain.number, CompareRow(domain, [], []))
                getattr(row, side).append(outcome)
    names_a = {o.name.lower() for o in a.current.outcomes.all()}
    names_b = {o.name.lower() for o in b.current.outcomes.all()}
    return Comparison(a, b, [by_domain[n] for n in sorted(by_domain)], names_a & names_b)


# -------------------------------------------------------------------------------------- change feeds


@dataclass(frozen=True)
class VersionEvent:
    """A public change of the registry: a version published, or a published version withdrawn."""

    kind: str  # "published" or "withdrawn"
    at: object  # datetime
    version: CoreOutcomeSetVersion


FEED_LENGTH = 50


def version_events(
    *, area: DiseaseArea | None = None, cos: CoreOutcomeSet | None = None, limit: int = FEED_LENGTH
) -> list[VersionEvent]:
    """The latest publications and withdrawals, newest first, registry-wide or of one disease area or one set.

    Public facts only: versions published in the registry (whatever became of them since) and withdrawals with
    their reason. Two queries (each at most `limit` rows), whatever the size of the registry.
    """
    qs = CoreOutcomeSetVersion.objects.select_related("core_outcome_set__disease_area")
    if area is not None:
        qs = qs.filter(core_outcome_set__disease_area=area)
    if cos is not None:
        qs = qs.filter(core_outcome_set=cos)
    published = qs.filter(status__in=PUBLIC_STATUSES, published_at__isnull=False).order_by("-published_at", "-pk")
    withdrawn = qs.filter(status=Status.WITHDRAWN, withdrawn_at__isnull=False).order_by("-withdrawn_at", "-pk")
    events = [VersionEvent("published", v.published_at, v) for v in published[:limit]]
    events += [VersionEvent("withdrawn", v.withdrawn_at, v) for v in withdrawn[:limit]]
    events.sort(key=lambda event: (event.at, event.kind == "withdrawn"), reverse=True)
    return events[:limit]
