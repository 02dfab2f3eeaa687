"""Reads behind the public website: sets with their current version, search, cross-set views and compare.

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
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
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
from outcomes.search.engine import (
    InstrumentHit,
    OutcomeHit,
    Reason,
    instrument_hits,
    match_reasons,
    outcome_hits,
    sets_matching,
)
from outcomes.search.query import ParsedQuery
from outcomes.selectors import PUBLIC_STATUSES, Status, current_version_pk, outcome_queryset

# Sets per page on every public list of sets.
PAGE_SIZE = 20


def public_set_queryset() -> QuerySet[CoreOutcomeSet]:
    """Sets that have a public version, annotated with their current version's id (`current_pk`), by title."""
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


# ---------------------------------------------------------------------------------------------- search


@dataclass
class SearchResult:
    cos: CoreOutcomeSet
    reasons: list[Reason]

    @property
    def version(self) -> CoreOutcomeSetVersion | None:
        return self.cos.current


@dataclass
class Facets:
    areas: Counter = field(default_factory=Counter)
    conditions: Counter = field(default_factory=Counter)
    domains: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    years: Counter = field(default_factory=Counter)


def set_search(
    *,
    query: ParsedQuery | None = None,
    area: str | None = None,
    condition: str | None = None,
    domain: int | None = None,
    status: str | None = None,
    year: int | None = None,
) -> QuerySet[CoreOutcomeSet]:
    """Public sets that match `query` (the search engine, outcomes.search: ranked, best first) and every facet;
    without a query, alphabetical (as browsing is). `search_results` says why each set of a page matched;
    `search_facets` counts the facet values over all of them."""
    qs = public_set_queryset()
    if area:
        qs = qs.filter(disease_area__slug=area)
    if condition:
        qs = qs.filter(
            Exists(
                CoreOutcomeSet.conditions.through.objects.filter(
                    coreoutcomeset_id=OuterRef("pk"), condition__slug=condition
                )
            )
        )
    if domain:
        qs = qs.filter(_current_outcomes(domains__number=domain))
    if status:
        qs = qs.filter(Exists(CoreOutcomeSetVersion.objects.filter(pk=OuterRef("current_pk"), status=status)))
    if year:
        qs = qs.filter(Exists(CoreOutcomeSetVersion.objects.filter(pk=OuterRef("current_pk"), published_on__year=year)))
    return sets_matching(qs, query) if query is not None else qs


def search_results(sets: list[CoreOutcomeSet], query: ParsedQuery | None) -> list[SearchResult]:
    """A page of `set_search` with its current version and why each set matched (from the search index)."""
    sets = with_current_versions(sets, outcomes=False)
    if query is None or not query.positive:
        return [SearchResult(cos, []) for cos in sets]
    return [SearchResult(cos, match_reasons(getattr(cos, "search_sources", None) or [], query)) for cos in sets]


def set_suggestions(query: ParsedQuery, *, limit: int) -> list[CoreOutcomeSet]:
    """The `limit` best public sets for `query`, with their disease area: one query."""
    return list(set_search(query=query).prefetch_related(None)[:limit])


@dataclass
class KindHits:
    instruments: list[InstrumentHit]
    outcomes: list[OutcomeHit]


# Outcome hits are looked for among this many best-ranked sets: a name that matches lives in a set that ranks.
OUTCOME_HITS_FROM = 50


def search_kind_hits(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery) -> KindHits:
    """The instruments and the outcomes (by name, with the sets holding them) that match `query`; each instrument
    with how many public sets measure with it (its current versions)."""
    instruments = instrument_hits(query)
    if instruments:
        counts = _instrument_counts()
        for hit in instruments:
            hit.set_count = counts.get(hit.instrument.pk, 0)
    return KindHits(instruments, outcome_hits(sets, query, among=OUTCOME_HITS_FROM))


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


def search_facets(sets: QuerySet[CoreOutcomeSet]) -> tuple[int, Facets]:
    """How many of `sets` (a `set_search`) there are, and how many have each area, condition, domain, status and
    year; cached per search (its SQL) and public fingerprint."""
    sql, params = sets.order_by().values("pk").query.sql_with_params()
    return _cached_counts(f"search|{sql}|{params!r}", public_fingerprint(), lambda: _search_counts(sets))


def _search_counts(sets: QuerySet[CoreOutcomeSet]) -> tuple[int, Facets]:
    """`search_facets` in one statement: a GROUP BY per facet over the matching sets.

    The search filter (every word against every current outcome's name and definition) is the expensive part, so
    it is evaluated once, into a materialised common table expression, rather than once per facet (Django has no
    CTEs, hence the SQL). The page of results itself is the one other evaluation.
    """
    matched, params = sets.order_by().values("pk", "current_pk", "disease_area_id").query.sql_with_params()
    year = (
        "CAST(EXTRACT(YEAR FROM v.published_on) AS INTEGER)"
        if connection.vendor == "postgresql"
        else "CAST(strftime('%%Y', v.published_on) AS INTEGER)"
    )
    tables = {
        "area": DiseaseArea._meta.db_table,
        "set_condition": CoreOutcomeSet.conditions.through._meta.db_table,
        "condition": Condition._meta.db_table,
        "outcome": Outcome._meta.db_table,
        "outcome_domain": Outcome.domains.through._meta.db_table,
        "domain": OutcomeDomain._meta.db_table,
        "version": CoreOutcomeSetVersion._meta.db_table,
    }
    # Only table names and Django's own compiled SQL go into the string; the values are bound parameters.
    sql = f"""
        WITH matched (set_id, version_id, area_id) AS MATERIALIZED ({matched})
        SELECT 'total', '', COUNT(*) FROM matched
        UNION ALL
        SELECT 'area', a.slug, COUNT(*) FROM matched m JOIN {tables["area"]} a ON a.id = m.area_id GROUP BY a.slug
        UNION ALL
        SELECT 'condition', c.slug, COUNT(DISTINCT l.coreoutcomeset_id)
          FROM matched m JOIN {tables["set_condition"]} l ON l.coreoutcomeset_id = m.set_id
          JOIN {tables["condition"]} c ON c.id = l.condition_id GROUP BY c.slug
        UNION ALL
        SELECT 'domain', CAST(d.number AS VARCHAR(8)), COUNT(DISTINCT o.version_id)
          FROM matched m JOIN {tables["outcome"]} o ON o.version_id = m.version_id
          JOIN {tables["outcome_domain"]} od ON od.outcome_id = o.id
          JOIN {tables["domain"]} d ON d.id = od.outcomedomain_id GROUP BY d.number
        UNION ALL
        SELECT 'version', v.status || ' ' || COALESCE(CAST({year} AS VARCHAR(8)), ''), COUNT(*)
          FROM matched m JOIN {tables["version"]} v ON v.id = m.version_id GROUP BY v.status, {year}
    """  # noqa: S608
    total = 0
    facets = Facets()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, value, n in cursor.fetchall():
            if kind == "total":
                total = n
            elif kind == "area":
                facets.areas[value] += n
            elif kind == "condition":
                facets.conditions[value] += n
            elif kind == "domain":
                facets.domains[int(value)] += n
            else:
                status, _, published = value.partition(" ")
                facets.statuses[status] += n
                if published:
                    facets.years[int(published)] += n
    return total, facets


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
