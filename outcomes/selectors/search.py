"""Reads behind the search page and the search API: the public sets that match a query and its facets, why each
matched, the instruments and outcomes that match, and the suggestions of the set picker. The ranking itself is the
search engine's (outcomes/search/); the counts are cached like every count over many sets (`public_fingerprint`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Outcome, OutcomeDomain
from outcomes.search.engine import (
    InstrumentHit,
    OutcomeHit,
    Reason,
    instrument_hits,
    match_reasons,
    matchers,
    outcome_hits,
    sets_matching,
)
from outcomes.search.generation import shared
from outcomes.search.query import ParsedQuery
from outcomes.selectors.public import (
    COUNTS_CACHE_SECONDS,
    _cached_counts,
    _current_outcomes,
    _instrument_counts,
    public_fingerprint,
    public_set_queryset,
    with_current_versions,
)
from outcomes.services.search import domain_numbers


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
    # A search's pages show no conditions: no prefetch (browsing keeps public_set_queryset's).
    return sets_matching(qs.prefetch_related(None), query) if query is not None else qs


def search_results(
    sets: list[CoreOutcomeSet], query: ParsedQuery | None, *, versions: bool = True
) -> list[SearchResult]:
    """A page of `set_search` with why each set matched (from the search index) and, if `versions`, its current
    version."""
    sets = with_current_versions(sets, outcomes=False) if versions else list(sets)
    if query is None or not query.positive:
        return [SearchResult(cos, []) for cos in sets]
    clauses, seen = matchers(query.positive), {}
    return [
        SearchResult(cos, match_reasons(getattr(cos, "search_sources", None) or [], clauses, seen=seen)) for cos in sets
    ]


def set_suggestions(query: ParsedQuery, *, limit: int) -> list[CoreOutcomeSet]:
    """The `limit` best public sets for `query`, with their disease area: one query."""
    return list(set_search(query=query).prefetch_related(None)[:limit])


@dataclass
class KindHits:
    instruments: list[InstrumentHit]
    outcomes: list[OutcomeHit]


# Outcome hits are looked for among this many best-ranked sets (the search page's first page of results): a name
# that matches lives in a set that ranks.
OUTCOME_HITS_FROM = 20


def search_kind_hits(best: list[CoreOutcomeSet], query: ParsedQuery) -> KindHits:
    """The instruments and the outcomes (by name, with the sets holding them) that match `query`; each instrument
    with how many public sets measure with it (its current versions). `best`: the best-ranked sets of the search,
    already read (OUTCOME_HITS_FROM of them), where the outcome hits are looked for."""
    instruments = instrument_hits(query)
    if instruments:
        counts = shared("instrument-counts", _instrument_counts, COUNTS_CACHE_SECONDS)
        for hit in instruments:
            hit.set_count = counts.get(hit.instrument.pk, 0)
    return KindHits(instruments, outcome_hits(best[:OUTCOME_HITS_FROM], query))


def search_facets(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery | None = None) -> tuple[int, Facets]:
    """How many of `sets` (a `set_search`) there are, and how many have each area, condition, domain, status and
    year. For a text search, counted directly (the engine's ranked candidates: a few hundred sets at most);
    browsing (every public set) is cached per filter (its SQL) and public fingerprint."""
    if query is not None and (query.positive or not query.domains):
        return _candidate_counts(sets)
    sql, params = sets.order_by().values("pk").query.sql_with_params()
    return _cached_counts(f"search|{sql}|{params!r}", public_fingerprint(), lambda: _search_counts(sets))


def _candidate_counts(sets: QuerySet[CoreOutcomeSet]) -> tuple[int, Facets]:
    """`search_facets` of the engine's ranked candidates (a few hundred sets at most), counted in Python from three
    reads by primary key: the sets with their area and domains (the search index's `domain_bits`: the current
    version's), their current versions' status and date, and their conditions."""
    rows = list(sets.order_by().values_list("pk", "current_pk", "disease_area__slug", "search_index__domain_bits"))
    facets = Facets()
    for _, _, area, bits in rows:
        facets.areas[area] += 1
        facets.domains.update(domain_numbers(bits or 0))
    versions = CoreOutcomeSetVersion.objects.filter(pk__in=[row[1] for row in rows if row[1]]).order_by()
    for status, published_on in versions.values_list("status", "published_on"):
        facets.statuses[status] += 1
        if published_on:
            facets.years[published_on.year] += 1
    links = CoreOutcomeSet.conditions.through.objects.filter(coreoutcomeset_id__in=[row[0] for row in rows])
    facets.conditions.update(slug for _, slug in links.values_list("coreoutcomeset_id", "condition__slug").distinct())
    return len(rows), facets


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
