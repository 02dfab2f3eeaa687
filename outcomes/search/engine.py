"""The engine: a parsed query applied to sets (one backend per database), why each set matched, typed hits.

PostgreSQL: `SetSearchIndex.document` (weighted tsvector, GIN index) against a tsquery built from the clauses,
ranked by ts_rank (weights A title, B conditions/area/codes, C outcome names, D the rest). SQLite: the FTS5 table
`outcomes_setsearchfts` (same four columns), ranked by bm25 with column weights in the same order. Both compare
the terms of outcomes.search.text, so they find the same sets; only the ranking formula differs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, QuerySet, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.db.models.lookups import GreaterThan
from django.db.models.sql.datastructures import Join
from django.db.models.sql.where import WhereNode

from outcomes.models import CoreOutcomeSet, Instrument
from outcomes.search import CANDIDATES
from outcomes.search.generation import kept
from outcomes.search.query import Alternative, Clause, ParsedQuery
from outcomes.search.text import CODE_FIELDS, source_terms
from outcomes.services.search import code_term, domain_bit, instrument_kind_label

FTS_TABLE = "outcomes_setsearchfts"
# bm25 weights of the FTS5 columns (title, conditions, outcomes, other), in the proportions of PostgreSQL's
# default ts_rank weights (A 1.0, B 0.4, C 0.2, D 0.1).
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
MAX_REASONS = 4


# ---------------------------------------------------------------------------------------------- backends


def _tsquery_alternative(alternative: Alternative) -> str:
    parts = list(alternative.terms)
    if alternative.prefix:
        parts[-1] += ":*"
    return " <-> ".join(parts)


def _tsquery(clauses: list[Clause], negated: list[Clause]) -> str:
    def clause_sql(clause: Clause) -> str:
        return "(" + " | ".join(_tsquery_alternative(a) for a in clause.alternatives) + ")"

    return " & ".join([clause_sql(c) for c in clauses] + [f"!{clause_sql(c)}" for c in negated])


def _fts5_alternative(alternative: Alternative) -> str:
    return '"' + " ".join(alternative.terms) + '"' + ("*" if alternative.prefix else "")


def _fts5_query(clauses: list[Clause], negated: list[Clause], columns: tuple[str, ...] = ()) -> str:
    """The FTS5 expression; `columns`: the positive clauses must match within those columns (a column filter)."""

    def clause_sql(clause: Clause) -> str:
        return "(" + " OR ".join(_fts5_alternative(a) for a in clause.alternatives) + ")"

    expression = " AND ".join(clause_sql(c) for c in clauses)
    if columns:
        expression = "{" + " ".join(columns) + "} : (" + expression + ")"
    return expression + "".join(f" NOT {clause_sql(c)}" for c in negated)


# The ranking candidates. Ranking reads every candidate's whole document, so the engine ranks a bounded set of
# them: the first CANDIDATES sets (in index order) whose title and conditions hold every word, then whose title,
# conditions and outcome names do, then that match anywhere, each tier read only while the tiers above it are not
# full; each tier's own GIN index (PostgreSQL) or FTS5 column filter (SQLite) finds them. A set in a higher tier
# always ranks above one in a lower tier (a title or condition match above an outcome name match above a
# definition match), then by ts_rank / bm25. When more sets match than that (a tier is full), only the candidates
# are listed, and the query says so (`more_than_listed`).
HEAD, NAMES, ANYWHERE = 2, 1, 0
TIER_COLUMNS = {HEAD: ("title", "conditions"), NAMES: ("title", "conditions", "outcomes"), ANYWHERE: ()}
TIER_DOCUMENT = {HEAD: "head_document", NAMES: "names_document", ANYWHERE: "document"}


def _tier_filter(query: ParsedQuery, tier: int) -> Q:
    """The sets of `tier`: every positive clause within the tier's columns, no negated clause anywhere."""
    if connection.vendor == "postgresql":
        full = SearchQuery(_tsquery(query.positive, query.negative), search_type="raw", config="simple")
        match = Q(search_index__document=full)
        if tier != ANYWHERE:
            positive = SearchQuery(_tsquery(query.positive, []), search_type="raw", config="simple")
            match = Q(**{f"search_index__{TIER_DOCUMENT[tier]}": positive}) & (match if query.negative else Q())
        return match
    expression = _fts5_query(query.positive, query.negative, TIER_COLUMNS[tier])
    # Only constants go into the SQL string; the match expression is a parameter.
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression]))  # noqa: S608, S611


def _any_filter(clauses: list[Clause]) -> Q:
    """The sets that match any of `clauses` anywhere."""
    if connection.vendor == "postgresql":
        tsquery = " | ".join("(" + " | ".join(_tsquery_alternative(a) for a in c.alternatives) + ")" for c in clauses)
        return Q(search_index__document=SearchQuery(tsquery, search_type="raw", config="simple"))
    expression = " OR ".join("(" + " OR ".join(_fts5_alternative(a) for a in c.alternatives) + ")" for c in clauses)
    return Q(pk__in=RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression]))  # noqa: S608, S611


def _tier_ids(base: QuerySet[CoreOutcomeSet], query: ParsedQuery, tier: int) -> tuple[str, tuple]:
    """The SQL of the first CANDIDATES + 1 ids of `base` in `tier`, compiled by Django."""
    ids = base.filter(_tier_filter(query, tier)).values_list("pk", flat=True)[: CANDIDATES + 1]
    sql, params = ids.query.sql_with_params()
    return sql, tuple(params)


def tier_statements(base: QuerySet[CoreOutcomeSet], query: ParsedQuery) -> dict[int, tuple[str, tuple]]:
    """`_tier_ids` of each tier. Without exclusions the three differ only in the indexed column they match
    (PostgreSQL) or in the column filter of the FTS5 expression, a parameter (SQLite): then one is compiled and the
    others are made from it (compiling took about as long as running them), unless its SQL does not hold the
    match exactly once (an aliased join), when each is compiled."""
    anywhere = _tier_ids(base, query, ANYWHERE)
    sql, params = anywhere
    if not query.negative:
        if connection.vendor == "postgresql":
            match = '"outcomes_setsearchindex"."document" @@'
            if sql.count(match) == 1:
                return {
                    ANYWHERE: anywhere,
                    **{t: (sql.replace(match, f'"outcomes_setsearchindex"."{TIER_DOCUMENT[t]}" @@'), params)
                       for t in (HEAD, NAMES)},
                }  # fmt: skip
        else:
            expression = _fts5_query(query.positive, [], TIER_COLUMNS[ANYWHERE])
            if params.count(expression) == 1:
                at = params.index(expression)
                return {
                    ANYWHERE: anywhere,
                    **{t: (sql, (*params[:at], _fts5_query(query.positive, [], TIER_COLUMNS[t]), *params[at + 1 :]))
                       for t in (HEAD, NAMES)},
                }  # fmt: skip
    return {ANYWHERE: anywhere, **{tier: _tier_ids(base, query, tier) for tier in (HEAD, NAMES)}}


def _candidates(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery) -> tuple[dict[int, int], bool]:
    """The ranking candidates among `sets` (id -> the highest tier it is in), and whether more sets match than that
    (a full tier).

    The tiers are nested (a title match is a match anywhere), and every set of a tier ranks above every set found
    only in a lower one, so once a tier is full (CANDIDATES + 1 sets) the lower ones could only add sets ranked
    below CANDIDATES others: they are not read. One statement (Django's `union` cannot slice its parts on SQLite):
    each tier's LIMITed query as a common table expression, a lower one only when the higher ones are not full."""
    base = sets.select_related(None).prefetch_related(None).order_by()
    ctes, selects, params = [], [], []
    full = int(CANDIDATES)  # a constant: safe in the SQL
    statements = tier_statements(base, query)
    for tier in (HEAD, NAMES, ANYWHERE):
        sql, tier_params = statements[tier]
        higher_not_full = " AND ".join(
            f"(SELECT COUNT(*) FROM tier_{t}) <= {full}"  # noqa: S608
            for t in (HEAD, NAMES)
            if t > tier
        )
        where = f" WHERE {higher_not_full}" if higher_not_full else ""
        ctes.append(f"tier_{tier} (pk) AS (SELECT * FROM ({sql}) AS found_{tier}{where})")  # noqa: S608
        selects.append(f"SELECT {tier}, pk FROM tier_{tier}")  # noqa: S608
        params += tier_params
    with connection.cursor() as cursor:
        # Only Django's compiled SQL of the tiers and constants go into the string; values are bound parameters.
        cursor.execute("WITH " + ", ".join(ctes) + " " + " UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    found: dict[int, list[int]] = {tier: [] for tier in (HEAD, NAMES, ANYWHERE)}
    for tier, pk in rows:
        found[tier].append(pk)
    more = any(len(ids) > CANDIDATES for ids in found.values())
    tiers: dict[int, int] = {}
    for tier, ids in found.items():  # highest tier first: a set keeps the first tier it was found in
        for pk in ids[:CANDIDATES]:
            tiers.setdefault(pk, tier)
    return tiers, more


def _rank(query: ParsedQuery) -> tuple:
    """The relevance of a candidate within its tier (higher is better, >= 0), as an expression."""
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(_tsquery(query.positive, query.negative), search_type="raw", config="simple")
        return SearchRank(F("search_index__document"), tsquery)
    match = _fts5_query(query.positive, query.negative)
    table = CoreOutcomeSet._meta.db_table
    weights = ", ".join(str(w) for w in BM25_WEIGHTS)
    rank = (
        f"SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "  # noqa: S608
        f'WHERE {FTS_TABLE} MATCH %s AND rowid = "{table}"."id"'
    )
    return RawSQL(rank, [match], output_field=FloatField())  # noqa: S611


def _pk_among(ids: list[int]) -> Q:
    """`pk__in=ids` as ONE bound parameter (an array on PostgreSQL, a JSON list on SQLite): Django binds and
    prepares an IN list value by value, which for the few hundred candidates cost more than the query itself."""
    if connection.vendor == "postgresql":
        return Q(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [list(ids)]))
    return Q(pk__in=RawSQL("SELECT value FROM json_each(%s)", [json.dumps(list(ids))]))


def _by_pk(sets: QuerySet[CoreOutcomeSet], ids: list[int]) -> QuerySet[CoreOutcomeSet]:
    """`sets` with primary key in `ids`, which are rows of `sets` already. Then `sets`' own filters need not be
    tested again (re-testing "a public version exists" made PostgreSQL hash every version), unless a filter joined
    a many-valued relation (a condition), whose join without its filter would repeat rows."""
    joins = [join for join in sets.query.alias_map.values() if isinstance(join, Join)]
    if all(join.join_field.many_to_one or join.join_field.one_to_one for join in joins):
        sets = sets.all()
        sets.query.where = WhereNode()
    return sets.filter(_pk_among(ids))


def sets_matching(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery) -> QuerySet[CoreOutcomeSet]:
    """The ranking candidates of `sets` for `query` (see CANDIDATES), annotated with `search_rank` (higher is
    better: the tier, plus the rank within it scaled to [0, 1)) and `search_sources` (the index row's sources, for
    `match_reasons` without another query), ordered by rank, then title. Sets `query.more_than_listed`. A query
    with nothing to search for finds nothing (with `domain:N` only: the sets in the domain)."""
    for number in query.domains:
        sets = sets.filter(GreaterThan(F("search_index__domain_bits").bitand(domain_bit(number)), 0))
    if not query.positive:
        # Only `domain:N` (and exclusions): the sets in those domains, alphabetically. Nothing searchable at all
        # (only common words, punctuation or exclusions): nothing, rather than the whole registry.
        if not query.domains:
            return sets.none()
        return sets.exclude(_any_filter(query.negative)) if query.negative else sets
    tiers, query.more_than_listed = _candidates(sets, query)
    query.listed_count = len(tiers)
    rank = Cast(_rank(query), FloatField())
    # Each candidate's tier is known from how it was found: no need to test the tiers' documents again.
    in_tier = {t: [pk for pk, found_in in tiers.items() if found_in == t] for t in (HEAD, NAMES)}
    tier = Case(
        *(When(_pk_among(ids), then=Value(float(t))) for t, ids in in_tier.items() if ids),
        default=Value(0.0),
        output_field=FloatField(),
    )
    return (
        _by_pk(sets, list(tiers))
        .annotate(search_rank=ExpressionWrapper(tier + rank / (rank + 1.0), output_field=FloatField()))
        .annotate(search_sources=F("search_index__sources"))
        .order_by("-search_rank", "title", "pk")
    )


def with_rank_placeholder(sets: QuerySet[CoreOutcomeSet]) -> QuerySet[CoreOutcomeSet]:
    return sets.annotate(search_rank=Value(0.0, output_field=FloatField()))


# ---------------------------------------------------------------------------------------------- why it matched


@dataclass(frozen=True)
class Reason:
    """A set matched because `field` (title, condition, outcome, definition, ...) holds `text`; `outcome`: the
    outcome a definition, domain or instrument belongs to."""

    field: str
    text: str
    outcome: str = ""

    def __str__(self) -> str:
        of = f" of {self.outcome}" if self.outcome else ""
        return f"{self.field}{of}: {self.text}"


def _alternative_matches(alternative: Alternative, found: Sequence[str], is_code: bool) -> bool:
    if alternative.code != is_code:
        return False
    wanted = tuple(alternative.terms)
    n, last = len(wanted), wanted[-1]
    if not alternative.prefix and (n == 1 or wanted[0] not in found):
        return n == 1 and last in found  # the common case: one word, a membership test
    found = tuple(found)
    for i in range(len(found) - n + 1):
        if found[i : i + n - 1] == wanted[:-1] and (
            found[i + n - 1].startswith(last) if alternative.prefix else found[i + n - 1] == last
        ):
            return True
    return False


@dataclass(frozen=True)
class ClauseMatcher:
    """A clause, ready to be tested against many texts: its one-word alternatives as a set (one intersection per
    text), the rest (phrases, prefixes, codes) tested one by one."""

    words: frozenset[str]
    others: tuple[Alternative, ...]

    @classmethod
    def of(cls, clause: Clause) -> ClauseMatcher:
        simple = [a for a in clause.alternatives if len(a.terms) == 1 and not a.prefix and not a.code]
        return cls(frozenset(a.terms[0] for a in simple), tuple(a for a in clause.alternatives if a not in simple))

    def matches(self, field_name: str, text: str) -> bool:
        if field_name in CODE_FIELDS:
            found: Sequence[str] = (code_term(text),)
            return any(_alternative_matches(a, found, True) for a in self.others)
        found = source_terms(text)
        if not self.words.isdisjoint(found):
            return True
        return any(_alternative_matches(a, found, False) for a in self.others)


def matchers(clauses: list[Clause]) -> list[ClauseMatcher]:
    return [ClauseMatcher.of(clause) for clause in clauses]


def match_reasons(
    sources: list[list[str]],
    clauses: list[ClauseMatcher],
    *,
    limit: int = MAX_REASONS,
    seen: dict[tuple[str, str], bool] | None = None,
) -> list[Reason]:
    """Which of a set's sources (SetSearchIndex.sources) hold a word of the query (`clauses`: its positive clauses,
    `matchers`): heaviest field first, at most `limit` (the sources are stored heaviest field first, `SOURCE_RANK`,
    and looked at no further than needed). `seen`: what was found of the same clauses for other sets' sources
    (field, text -> matched), to share across the sets of a page: outcome names, domains and instruments recur."""
    if not clauses:
        return []
    if seen is None:
        seen = {}
    found: list[Reason] = []
    for name, text, outcome in sources:
        matched = seen.get((name, text))
        if matched is None:
            matched = seen[name, text] = any(clause.matches(name, text) for clause in clauses)
        if matched:
            found.append(Reason(name, text, outcome))
            if len(found) == limit:
                break
    return found


# ---------------------------------------------------------------------------------------------- typed hits


@dataclass
class InstrumentHit:
    instrument: Instrument
    reasons: list[Reason]
    set_count: int = 0


@dataclass
class OutcomeHit:
    name: str
    reasons: list[Reason]
    sets: list[CoreOutcomeSet] = field(default_factory=list)


def instrument_hits(query: ParsedQuery) -> list[Instrument]:
    """Instruments whose acronym, name or kind (`instrument_kind_label`: "PROM", "patient-reported") matches every
    word of `query` (the list is small: read in full, and kept for the search generation, which an instrument's
    edit in the admin renews)."""
    if not query.positive:
        return []
    hits = []
    clauses = matchers(query.positive)
    for instrument in kept("instruments", lambda: list(Instrument.objects.order_by("acronym"))):
        sources = [("acronym", instrument.acronym), ("name", instrument.name)]
        if kind := instrument_kind_label(instrument.kind):
            sources.append(("kind", kind))
        matched = [Reason(name, text) for name, text in sources if any(c.matches(name, text) for c in clauses)]
        if all(any(c.matches(n, t) for n, t in sources) for c in clauses):
            hits.append(InstrumentHit(instrument, matched))
    return hits


def outcome_hits(sets: list[CoreOutcomeSet], query: ParsedQuery) -> list[OutcomeHit]:
    """Outcomes (by name) of `sets` (best first, from `sets_matching`: the page of results already read) whose name
    matches every word of `query`, each with the sets holding it; no query."""
    if not query.positive:
        return []
    by_name: dict[str, OutcomeHit] = {}
    clauses = matchers(query.positive)
    matched: dict[str, bool] = {}  # outcome name -> whether it holds every word (names recur from set to set)
    for cos in sets:
        for name, text, _ in getattr(cos, "search_sources", None) or []:
            if name != "outcome":
                continue
            if text not in matched:
                matched[text] = all(clause.matches(name, text) for clause in clauses)
            if matched[text]:
                hit = by_name.setdefault(text.casefold(), OutcomeHit(text, [Reason("outcome", text)]))
                if not hit.sets or hit.sets[-1] is not cos:  # the sets come one after the other
                    hit.sets.append(cos)
    return sorted(by_name.values(), key=lambda hit: (-len(hit.sets), hit.name.casefold()))
