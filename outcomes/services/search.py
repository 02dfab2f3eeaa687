"""The search index (outcomes.models.search): one row per set, derived from the set (title, disease area,
conditions and their codes, scope, developers) and its current version (the published one, else the latest public
one: outcome names and definitions, their domains and instruments); plus the index's vocabulary (`SearchWord`).

Public content never changes (outcomes/immutability.py), so a row changes only when its set's own fields change or
one of its versions becomes public or changes public status: `set_search_index_refresh` is called by those
services (version_publish, version_withdraw, the reference data load, the admin's set form);
`set_search_index_rebuild` recomputes every row (after a restore, and for operators: `manage.py
search_index_rebuild`). The curators' synonyms (`SearchSynonym`) are read at query time and need no rebuild.
Every change starts a new search generation (outcomes/search/generation.py), so that what queries keep between
them (synonyms, vocabulary, instrument counts) is read again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Value

from diseases.models import Condition, Icd10Code
from outcomes.models import (
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Measurement,
    Outcome,
    SearchSynonym,
    SearchWord,
    SetSearchIndex,
)
from outcomes.search.generation import search_generation_bump
from outcomes.search.text import CODE_FIELDS, index_terms, vocabulary_words
from outcomes.selectors import PUBLIC_STATUSES

Status = CoreOutcomeSetVersion.Status
SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "data" / "search_synonyms.yaml"

# Which term column (and so which weight) each source field feeds: title > conditions, disease area and codes >
# outcome names > everything else.
COLUMN_OF_FIELD = {
    "title": "title",
    "condition": "conditions",
    "disease area": "conditions",
    "ICD-10": "conditions",
    "SNOMED CT": "conditions",
    "outcome": "outcomes",
    "definition": "other",
    "note": "other",
    "domain": "other",
    "instrument": "other",
    "instrument kind": "other",
    "population": "other",
    "intervention": "other",
    "setting": "other",
    "developers": "other",
}
TERM_COLUMNS = ("title", "conditions", "outcomes", "other")
# A row's sources are stored heaviest field first, in the order of COLUMN_OF_FIELD (a stable sort: outcomes keep
# their order), which is the order "why it matched" lists them in.
SOURCE_RANK = {name: rank for rank, name in enumerate(COLUMN_OF_FIELD)}


def instrument_kind_label(kind: str) -> str:
    """What an instrument's kind is searched by: its label, "Patient-reported outcome measure (PROM)" (in English,
    as the rest of the index); "" for no kind or "other", which says nothing to search for."""
    if not kind or kind == Instrument.Kind.OTHER or kind not in Instrument.Kind.values:
        return ""
    return str(Instrument.Kind(kind).label)


def code_term(code: str) -> str:
    """An ICD-10 code or SNOMED CT id as one index term: lower case, no dot (C92.0 -> c920), so that a code
    prefix is a term prefix."""
    return "".join(char for char in code.casefold() if char.isalnum())


def domain_bit(number: int) -> int:
    """COMET domain `number` (1-38) as its bit in `SetSearchIndex.domain_bits`."""
    return 1 << (number - 1)


def domain_numbers(bits: int) -> list[int]:
    """The COMET domain numbers whose bits are set in `bits` (`domain_bits` undone), lowest first."""
    numbers = []
    while bits:
        lowest = bits & -bits
        numbers.append(lowest.bit_length())
        bits ^= lowest
    return numbers


def domain_bits(numbers: Iterable[int | None]) -> int:
    bits = 0
    for number in numbers:
        if number is not None:
            bits |= domain_bit(number)
    return bits


@dataclass
class _SetDocument:
    """What one set's row is computed from."""

    cos: CoreOutcomeSet
    conditions: list[Condition] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    instruments: dict[int, list[tuple[str, str]]] = field(default_factory=lambda: defaultdict(list))
    instrument_kinds: set[str] = field(default_factory=set)

    def sources(self) -> list[list[str]]:
        cos = self.cos
        rows = [["title", cos.title, ""]]
        rows += [["condition", condition.name, ""] for condition in self.conditions]
        rows.append(["disease area", cos.disease_area.name, ""])
        rows += [["ICD-10", code, ""] for code in self.codes]
        rows += [["SNOMED CT", c.snomed_ct_id, ""] for c in self.conditions if c.snomed_ct_id]
        for outcome in self.outcomes:
            rows.append(["outcome", outcome.name, ""])
            if outcome.definition:
                rows.append(["definition", outcome.definition, outcome.name])
            if outcome.note:
                rows.append(["note", outcome.note, outcome.name])
            rows += [["domain", domain.name, outcome.name] for domain in outcome.domains.all()]
            rows += [["instrument", f"{a} ({n})", outcome.name] for a, n in self.instruments[outcome.pk]]
        # What kind of instruments it measures with (a PROM, a ClinRO, ...): `PROM` or `patient-reported` finds it.
        rows += [["instrument kind", label, ""] for label in sorted(self.instrument_kinds)]
        for name, value in (
            ("population", cos.scope_population),
            ("intervention", cos.scope_intervention),
            ("setting", cos.scope_setting),
            ("developers", cos.developers),
        ):
            if value:
                rows.append([name, value, ""])
        return sorted(_distinct(rows), key=lambda row: SOURCE_RANK[row[0]])

    def row(self) -> SetSearchIndex:
        sources = self.sources()
        columns: dict[str, list[str]] = {name: [] for name in TERM_COLUMNS}
        for name, text, _ in sources:
            if name in CODE_FIELDS:
                columns["conditions"].append(code_term(text))
            else:
                columns[COLUMN_OF_FIELD[name]] += index_terms(text)
        return SetSearchIndex(
            core_outcome_set_id=self.cos.pk,
            disease_area_id=self.cos.disease_area_id,
            domain_bits=domain_bits(domain.number for o in self.outcomes for domain in o.domains.all()),
            sources=sources,
            **{name: " ".join(terms) for name, terms in columns.items()},
        )


def _distinct(rows: list[list[str]]) -> list[list[str]]:
    seen: set[tuple[str, ...]] = set()
    out = []
    for row in rows:
        if tuple(row) not in seen:
            seen.add(tuple(row))
            out.append(row)
    return out


def _current_version_ids(set_ids: list[int]) -> dict[int, int]:
    """Set id -> its current version's id: the published version, else the latest public one."""
    best: dict[int, tuple] = {}
    versions = CoreOutcomeSetVersion.objects.filter(core_outcome_set__in=set_ids, status__in=PUBLIC_STATUSES)
    for pk, set_id, status, *number in versions.values_list(
        "pk", "core_outcome_set", "status", "major", "minor", "patch"
    ):
        key = (status == Status.PUBLISHED, *number)
        if set_id not in best or key > best[set_id][0]:
            best[set_id] = (key, pk)
    return {set_id: pk for set_id, (_, pk) in best.items()}


def _documents(set_ids: list[int]) -> list[_SetDocument]:
    """The documents of `set_ids` in a fixed number of queries."""
    sets = CoreOutcomeSet.objects.filter(pk__in=set_ids).select_related("disease_area").order_by("pk")
    docs = {cos.pk: _SetDocument(cos) for cos in sets.prefetch_related("conditions")}
    codes: dict[int, list[str]] = defaultdict(list)
    links = CoreOutcomeSet.conditions.through.objects.filter(coreoutcomeset_id__in=set_ids)
    by_condition: dict[int, list[int]] = defaultdict(list)
    for set_id, condition_id in links.values_list("coreoutcomeset_id", "condition_id"):
        by_condition[condition_id].append(set_id)
    for condition_id, code in Icd10Code.objects.filter(condition__in=by_condition).values_list("condition", "code"):
        for set_id in by_condition[condition_id]:
            codes[set_id].append(code)
    current = _current_version_ids(set_ids)
    outcomes = (
        # Only version_id is read: no join on the version table, whose columns migration 0011 (which runs this
        # rebuild) may not have yet.
        Outcome.objects.filter(version__in=current.values()).prefetch_related("domains").order_by("order", "pk")
    )
    version_set = {pk: set_id for set_id, pk in current.items()}
    for outcome in outcomes:
        docs[version_set[outcome.version_id]].outcomes.append(outcome)
    measurements = Measurement.objects.filter(outcome__version__in=current.values(), instrument__isnull=False)
    for set_id, outcome_id, acronym, name, kind in measurements.values_list(
        "outcome__version__core_outcome_set", "outcome", "instrument__acronym", "instrument__name", "instrument__kind"
    ).order_by("order", "pk"):
        docs[set_id].instruments[outcome_id].append((acronym, name))
        if label := instrument_kind_label(kind):
            docs[set_id].instrument_kinds.add(label)
    for doc in docs.values():
        doc.conditions = sorted(doc.cos.conditions.all(), key=lambda c: c.name)
        doc.codes = sorted(set(codes[doc.cos.pk]))
    return list(docs.values())


def _document_update(set_ids: list[int]) -> None:
    """PostgreSQL: recompute the weighted tsvector of `set_ids` from their term columns, and the two unweighted
    ones the engine takes its ranking candidates from (title and conditions; and outcome names)."""
    if connection.vendor != "postgresql":
        return
    simple = Value("simple")
    vector = (
        SearchVector("title", weight="A", config=simple)
        + SearchVector("conditions", weight="B", config=simple)
        + SearchVector("outcomes", weight="C", config=simple)
        + SearchVector("other", weight="D", config=simple)
    )
    head = SearchVector("title", config=simple) + SearchVector("conditions", config=simple)
    names = head + SearchVector("outcomes", config=simple)
    SetSearchIndex.objects.filter(pk__in=set_ids).update(document=vector, head_document=head, names_document=names)


def _vocabulary_add(rows: Iterable[SetSearchIndex]) -> None:
    """Add the words of `rows` to the vocabulary (stale words stay until a rebuild: a correction to one finds
    nothing and is then not offered)."""
    found: dict[str, str] = {}
    for row in rows:
        for name, text, _ in row.sources:
            if name not in CODE_FIELDS:
                found.update(vocabulary_words(text))
    SearchWord.objects.bulk_create(
        [SearchWord(word=word, stem=stem_) for word, stem_ in found.items()], ignore_conflicts=True, batch_size=1000
    )


@transaction.atomic
def set_search_index_refresh(*, core_outcome_set: CoreOutcomeSet) -> SetSearchIndex:
    """Recompute one set's row from the set and its current version; writes only when something differs."""
    (doc,) = _documents([core_outcome_set.pk])
    new = doc.row()
    values = {name: getattr(new, name) for name in ("disease_area_id", "domain_bits", "sources", *TERM_COLUMNS)}
    index, created = SetSearchIndex.objects.get_or_create(core_outcome_set=core_outcome_set, defaults=values)
    changed = [name for name, value in values.items() if getattr(index, name) != value]
    if not created and changed:
        for name in changed:
            setattr(index, name, values[name])
        index.save(update_fields=changed)
    if created or changed:
        _document_update([index.pk])
        _vocabulary_add([index])
    search_generation_bump()  # which sets measure with an instrument may have changed, even with the same row
    return index


@transaction.atomic
def sets_search_index_refresh(*, set_ids: Iterable[int], batch_size: int = 500) -> int:
    """Recompute the rows of `set_ids` (e.g. every set measuring with an instrument just renamed), `batch_size`
    sets at a time; return how many."""
    ids = sorted(set(set_ids))
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        SetSearchIndex.objects.filter(pk__in=batch).delete()
        rows = SetSearchIndex.objects.bulk_create(doc.row() for doc in _documents(batch))
        _document_update(batch)
        _vocabulary_add(rows)
    search_generation_bump()
    return len(ids)


def live_schema_ready(connection) -> bool:
    """Whether the database has every table and column of the registry's models as this code defines them (it may
    not, in the middle of a migrate that runs data steps with live code)."""
    from django.apps import apps

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for app in ("diseases", "outcomes"):
            for model in apps.get_app_config(app).get_models():
                if not model._meta.managed:
                    continue
                if model._meta.db_table not in tables:
                    return False
                columns = {c.name for c in connection.introspection.get_table_description(cursor, model._meta.db_table)}
                if any(f.column not in columns for f in model._meta.concrete_fields):
                    return False
    return True


def search_index_fill_missing() -> int:
    """Rebuild the index when a set has no row in it (after an upgrade whose migration could not fill it with the
    live code); return the number of sets indexed, 0 when nothing was missing."""
    if not CoreOutcomeSet.objects.filter(search_index__isnull=True).exists():
        return 0
    return set_search_index_rebuild()


@transaction.atomic
def set_search_index_rebuild(*, batch_size: int = 500) -> int:
    """Recompute every set's row and the vocabulary from scratch, `batch_size` sets at a time (a fixed number of
    queries per batch); return the number of sets."""
    SetSearchIndex.objects.all().delete()
    SearchWord.objects.all().delete()
    set_ids = list(CoreOutcomeSet.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(set_ids), batch_size):
        batch = set_ids[start : start + batch_size]
        rows = SetSearchIndex.objects.bulk_create(doc.row() for doc in _documents(batch))
        _document_update(batch)
        _vocabulary_add(rows)
    search_generation_bump()
    return len(set_ids)


@transaction.atomic
def search_synonyms_load(*, path: Path = SYNONYMS_FILE) -> int:
    """Add the starter list's terms that are not there yet (a term curators have edited is left as it is);
    return how many were added."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    existing = {term.casefold() for term in SearchSynonym.objects.values_list("term", flat=True)}
    new = [
        SearchSynonym(term=entry["term"], expansions="\n".join(entry["expansions"]), note=entry.get("note", ""))
        for entry in entries
        if entry["term"].casefold() not in existing
    ]
    SearchSynonym.objects.bulk_create(new)
    search_generation_bump()  # bulk_create sends no post_save
    return len(new)
