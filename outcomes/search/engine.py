"""The engine: a parsed query applied to sets (one backend per database), why each set matched, typed hits.

PostgreSQL: `SetSearchIndex.document` (weighted tsvector, GIN index) against a tsquery built from the clauses,
ranked by ts_rank (weights A title, B conditions/area/codes, C outcome names, D the rest). SQLite: the FTS5 table
`outcomes_setsearchfts` (same four columns), ranked by bm25 with column weights in the same order. Both compare
the terms of outcomes.search.text, so they find the same sets; only the ranking formula differs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import GreaterThan

from outcomes.models import CoreOutcomeSet, Instrument
from outcomes.search.query import Alternative, Clause, ParsedQuery
from outcomes.search.text import index_terms
from outcomes.services.search import COLUMN_OF_FIELD, code_term, domain_bit

FTS_TABLE = "outcomes_setsearchfts"
# bm25 weights of the FTS5 columns (title, conditions, outcomes, other), in the proportions of PostgreSQL's
# default ts_rank weights (A 1.0, B 0.4, C 0.2, D 0.1).
BM25_WEIGHTS = (10.0, 4.0, 2.0, 1.0)
FIELD_ORDER = list(COLUMN_OF_FIELD)  # the order reasons are listed in: heaviest field first
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


def _fts5_query(clauses: list[Clause], negated: list[Clause]) -> str:
    def clause_sql(clause: Clause) -> str:
        return "(" + " OR ".join(_fts5_alternative(a) for a in clause.alternatives) + ")"

    expression = " AND ".join(clause_sql(c) for c in clauses)
    return expression + "".join(f" NOT {clause_sql(c)}" for c in negated)


def sets_matching(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery) -> QuerySet[CoreOutcomeSet]:
    """`sets` that match `query`, annotated with `search_rank` (higher is better) and `search_sources` (the index
    row's sources, for `match_reasons` without another query), ordered by rank, then title. An empty query leaves
    `sets` as they are."""
    for number in query.domains:
        sets = sets.filter(GreaterThan(F("search_index__domain_bits").bitand(domain_bit(number)), 0))
    if not query.positive:
        return sets
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(_tsquery(query.positive, query.negative), search_type="raw", config="simple")
        sets = sets.filter(search_index__document=tsquery).annotate(
            search_rank=SearchRank(F("search_index__document"), tsquery)
        )
    else:
        match = _fts5_query(query.positive, query.negative)
        table = CoreOutcomeSet._meta.db_table
        weights = ", ".join(str(w) for w in BM25_WEIGHTS)
        # Only constants go into the SQL strings; the match expression is a parameter.
        matching = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        rank = (
            f"SELECT -bm25({FTS_TABLE}, {weights}) FROM {FTS_TABLE} "  # noqa: S608
            f'WHERE {FTS_TABLE} MATCH %s AND rowid = "{table}"."id"'
        )
        sets = sets.filter(pk__in=RawSQL(matching, [match]))  # noqa: S611
        sets = sets.annotate(
            search_rank=RawSQL(  # noqa: S611
                rank,
                [match],
                output_field=FloatField(),
            )
        )
    return sets.annotate(search_sources=F("search_index__sources")).order_by("-search_rank", "title", "pk")


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


def _alternative_matches(alternative: Alternative, source_terms: list[str], is_code: bool) -> bool:
    if alternative.code != is_code:
        return False
    wanted = list(alternative.terms)
    n = len(wanted)
    for i in range(len(source_terms) - n + 1):
        window = source_terms[i : i + n]
        if window[:-1] == wanted[:-1] and (
            window[-1].startswith(wanted[-1]) if alternative.prefix else window[-1] == wanted[-1]
        ):
            return True
    return False


def clause_matches(clause: Clause, field_name: str, text: str) -> bool:
    is_code = field_name in ("ICD-10", "SNOMED CT")
    source_terms = [code_term(text)] if is_code else index_terms(text)
    return any(_alternative_matches(a, source_terms, is_code) for a in clause.alternatives)


def match_reasons(sources: list[list[str]], query: ParsedQuery, *, limit: int = MAX_REASONS) -> list[Reason]:
    """Which of a set's sources (SetSearchIndex.sources) hold a word of `query`: heaviest field first."""
    if not query.positive:
        return []
    found = [
        Reason(name, text, outcome)
        for name, text, outcome in sources
        if any(clause_matches(clause, name, text) for clause in query.positive)
    ]
    found.sort(key=lambda reason: FIELD_ORDER.index(reason.field))
    return found[:limit]


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
    """Instruments whose acronym or name matches every word of `query` (the list is small: read in full)."""
    if not query.positive:
        return []
    hits = []
    for instrument in Instrument.objects.order_by("acronym"):
        sources = [("acronym", instrument.acronym), ("name", instrument.name)]
        matched = [
            Reason(name, text)
            for name, text in sources
            if any(clause_matches(clause, name, text) for clause in query.positive)
        ]
        if all(any(clause_matches(clause, n, t) for n, t in sources) for clause in query.positive):
            hits.append(InstrumentHit(instrument, matched))
    return hits


def outcome_hits(sets: QuerySet[CoreOutcomeSet], query: ParsedQuery, *, among: int) -> list[OutcomeHit]:
    """Outcomes (by name) of the `among` best of `sets` (a `sets_matching`) whose name matches every word of
    `query`, each with the sets holding it; one query."""
    if not query.positive:
        return []
    by_name: dict[str, OutcomeHit] = {}
    rows = sets.select_related(None).prefetch_related(None).only("pk", "slug", "title")[:among]
    for cos in rows:
        for name, text, _ in cos.search_sources or []:
            if name == "outcome" and all(clause_matches(clause, name, text) for clause in query.positive):
                hit = by_name.setdefault(text.casefold(), OutcomeHit(text, [Reason("outcome", text)]))
                hit.sets.append(cos)
    return sorted(by_name.values(), key=lambda hit: (-len(hit.sets), hit.name.casefold()))
