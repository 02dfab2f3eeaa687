"""The optional OMOP vocabulary: loading an Athena download, resolving codes to standard concepts, descendants.

An Athena download (athena.ohdsi.org, for licensed users) holds tab-separated files with a header row, OMOP CDM
v5.4 column names and dates as YYYYMMDD. `vocabulary_load` reads VOCABULARY, CONCEPT, CONCEPT_RELATIONSHIP and
CONCEPT_ANCESTOR in one transaction: on PostgreSQL with COPY into temporary staging tables, then an upsert into the
registry's tables; on SQLite with a batched upsert. Loading again replaces what changed and never duplicates a
row. A missing file, a wrong header or a malformed line stops the load with one line naming the file and line,
and nothing of it is kept.

Without a loaded vocabulary everything works on codes; with one, a code resolves to its standard concept through
'Maps to', its name can be checked, and its descendants listed.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from outcomes.models import OmopConcept, OmopConceptAncestor, OmopConceptRelationship, OmopVocabulary
from outcomes.vocabularies import OMOP, OMOP_CONCEPT_ID_MAX

Progress = Callable[[str], None]

INT, TEXT, OPTIONAL, DATE = "int", "text", "optional", "date"


@dataclass(frozen=True)
class VocabularyFile:
    filename: str
    model: type[models.Model]
    columns: tuple[tuple[str, str], ...]  # (column, kind), in Athena's order
    key: tuple[str, ...]  # what makes a row unique: a second load updates it


FILES = (
    VocabularyFile(
        "VOCABULARY.csv",
        OmopVocabulary,
        (
            ("vocabulary_id", TEXT),
            ("vocabulary_name", TEXT),
            ("vocabulary_reference", OPTIONAL),
            ("vocabulary_version", OPTIONAL),
            ("vocabulary_concept_id", INT),
        ),
        ("vocabulary_id",),
    ),
    VocabularyFile(
        "CONCEPT.csv",
        OmopConcept,
        (
            ("concept_id", INT),
            ("concept_name", TEXT),
            ("domain_id", TEXT),
            ("vocabulary_id", TEXT),
            ("concept_class_id", TEXT),
            ("standard_concept", OPTIONAL),
            ("concept_code", TEXT),
            ("valid_start_date", DATE),
            ("valid_end_date", DATE),
            ("invalid_reason", OPTIONAL),
        ),
        ("concept_id",),
    ),
    VocabularyFile(
        "CONCEPT_RELATIONSHIP.csv",
        OmopConceptRelationship,
        (
            ("concept_id_1", INT),
            ("concept_id_2", INT),
            ("relationship_id", TEXT),
            ("valid_start_date", DATE),
            ("valid_end_date", DATE),
            ("invalid_reason", OPTIONAL),
        ),
        ("concept_id_1", "concept_id_2", "relationship_id"),
    ),
    VocabularyFile(
        "CONCEPT_ANCESTOR.csv",
        OmopConceptAncestor,
        (
            ("ancestor_concept_id", INT),
            ("descendant_concept_id", INT),
            ("min_levels_of_separation", INT),
            ("max_levels_of_separation", INT),
        ),
        ("ancestor_concept_id", "descendant_concept_id"),
    ),
)

BATCH = 5000


class VocabularyLoadError(Exception):
    """A load refused: one line naming the file (and the line) at fault."""


@dataclass(frozen=True)
class LoadReport:
    rows: dict[str, int]


def _header(path: Path, spec: VocabularyFile) -> list[str]:
    """The file's columns, checked against Athena's: the same names (any case, any order), nothing missing or extra."""
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline()
    names = [name.strip().lower() for name in first.rstrip("\r\n").split("\t")] if first else []
    expected = [column for column, _ in spec.columns]
    missing = [c for c in expected if c not in names]
    unknown = [c for c in names if c not in expected]
    if not first:
        raise VocabularyLoadError(f"{spec.filename} line 1: the file is empty; expected a header row.")
    if missing or unknown or len(set(names)) != len(names):
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        if not parts:
            parts.append("a column is repeated")
        raise VocabularyLoadError(
            f"{spec.filename} line 1: wrong columns ({'; '.join(parts)}); expected {', '.join(expected)}."
        )
    return names


def _files(directory: Path) -> list[tuple[VocabularyFile, Path, list[str]]]:
    if not directory.is_dir():
        raise VocabularyLoadError(f"{directory}: not a directory.")
    found = []
    for spec in FILES:
        path = directory / spec.filename
        if not path.is_file():
            raise VocabularyLoadError(f"{spec.filename}: missing from {directory}.")
        found.append((spec, path, _header(path, spec)))
    return found


def vocabulary_load(directory: Path, *, progress: Progress | None = None) -> LoadReport:
    """Load an Athena download from `directory` (all four files, or nothing).

    1. Check that every file is there with Athena's columns, before anything is written.
    2. In one transaction, per file: PostgreSQL COPY into a staging table then one upsert; SQLite a batched upsert.
    3. A malformed line raises VocabularyLoadError naming the file and line; the transaction is rolled back.
    """
    say = progress or (lambda message: None)
    files = _files(Path(directory))
    rows: dict[str, int] = {}
    with transaction.atomic():
        for spec, path, names in files:
            say(f"{spec.filename}: loading")
            if connection.vendor == "postgresql":
                rows[spec.filename] = _load_postgresql(spec, path, names, say)
            else:
                rows[spec.filename] = _load_batched(spec, path, names, say)
            say(f"{spec.filename}: {rows[spec.filename]:,} rows loaded")
        OmopVocabulary.objects.update(loaded_at=timezone.now())
    return LoadReport(rows=rows)


# ------------------------------------------------------------------------------------------------ PostgreSQL

# Dates stay text in the staging table, checked against Athena's YYYYMMDD (PostgreSQL's date input would also take
# 1970-01-01 and other forms), and become dates in the upsert.
_PG_TYPES = {
    INT: "bigint NOT NULL",
    TEXT: "text NOT NULL",
    OPTIONAL: "text",
    DATE: "text NOT NULL CONSTRAINT {name}_is_yyyymmdd CHECK ({name} ~ '^[0-9]{{8}}$')",
}
DATE_CHECK_SUFFIX = "_is_yyyymmdd"
_LINE = re.compile(r"line (\d+)")


class _ProgressReader:
    """A file that reports how far COPY has read it, every tenth of its size."""

    def __init__(self, path: Path, say: Progress, name: str) -> None:
        self._handle = path.open("rb")
        self._size = max(path.stat().st_size, 1)
        self._read = 0
        self._next = 10
        self._say = say
        self._name = name

    def read(self, size: int = -1) -> bytes:
        chunk = self._handle.read(size)
        self._read += len(chunk)
        while self._read * 100 >= self._next * self._size and self._next <= 100:
            self._say(f"{self._name}: {self._next}% read")
            self._next += 10
        return chunk

    def readline(self, size: int = -1) -> bytes:
        return self.read(size) if size > 0 else self._handle.readline()

    def close(self) -> None:
        self._handle.close()


def _load_postgresql(spec: VocabularyFile, path: Path, names: list[str], say: Progress) -> int:
    import psycopg2

    kinds = dict(spec.columns)
    stage = f"omop_stage_{spec.model._meta.db_table}"
    table = spec.model._meta.db_table
    columns = [column for column, _ in spec.columns]
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {stage}")
        definition = ", ".join(f"{name} {_PG_TYPES[kinds[name]].format(name=name)}" for name in names)
        cursor.execute(f"CREATE TEMPORARY TABLE {stage} ({definition}) ON COMMIT DROP")
        # Athena files are not quoted: a quote character inside a name is data. A backspace never occurs in them,
        # so it serves as the (unused) quote character of COPY's CSV format, whose empty field is NULL.
        copy = (
            f"COPY {stage} ({', '.join(names)}) FROM STDIN "
            "WITH (FORMAT csv, DELIMITER E'\\t', HEADER true, QUOTE E'\\b', NULL '', ENCODING 'UTF8')"
        )
        reader = _ProgressReader(path, say, spec.filename)
        try:
            with transaction.atomic():  # a savepoint, so the error can be reported from a usable connection
                cursor.cursor.copy_expert(copy, reader)
        except psycopg2.Error as exc:
            first = (exc.diag.message_primary or str(exc)).splitlines()[0]
            constraint = exc.diag.constraint_name or ""
            if constraint.endswith(DATE_CHECK_SUFFIX):
                first = f"{constraint.removesuffix(DATE_CHECK_SUFFIX)} is not a date YYYYMMDD"
            line = _LINE.search(exc.diag.context or "")
            where = f"line {line.group(1)}" if line else "a line"
            raise VocabularyLoadError(f"{spec.filename} {where}: {first}.") from None
        finally:
            reader.close()
        selected = ", ".join(_pg_select(column, kinds[column]) for column in columns)
        key = ", ".join(spec.key)
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns if column not in spec.key)
        # DISTINCT ON: a key repeated inside one file keeps its last line, as a second load would.
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - names from the spec above
            f"SELECT {', '.join(columns)} FROM ("
            f"SELECT DISTINCT ON ({key}) {selected} FROM (SELECT *, ctid AS line FROM {stage}) s "
            f"ORDER BY {key}, line DESC) d "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        cursor.execute(f"SELECT count(*) FROM {stage}")  # noqa: S608
        return cursor.fetchone()[0]


def _pg_select(column: str, kind: str) -> str:
    if kind == OPTIONAL:
        return f"COALESCE({column}, '') AS {column}"
    if kind == DATE:
        return f"to_date({column}, 'YYYYMMDD') AS {column}"
    return column


# ---------------------------------------------------------------------------------------------- SQLite (batched)


def _value(kind: str, text: str, column: str) -> object:
    if kind == INT:
        if not re.fullmatch(r"-?[0-9]+", text):
            raise ValueError(f"{column} {text!r} is not a whole number")
        return int(text)
    if kind == DATE:
        try:
            return dt.datetime.strptime(text, "%Y%m%d").date()
        except ValueError:
            raise ValueError(f"{column} {text!r} is not a date YYYYMMDD") from None
    if kind == TEXT and text == "":
        raise ValueError(f"{column} is empty")
    return text


def _rows(spec: VocabularyFile, path: Path, names: list[str]) -> Iterator[dict]:
    kinds = dict(spec.columns)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        for number, fields in enumerate(reader, start=2):
            if len(fields) != len(names):
                raise VocabularyLoadError(
                    f"{spec.filename} line {number}: {len(fields)} fields, expected {len(names)} (tab-separated)."
                )
            try:
                yield {name: _value(kinds[name], text, name) for name, text in zip(names, fields, strict=True)}
            except ValueError as exc:
                raise VocabularyLoadError(f"{spec.filename} line {number}: {exc}.") from None


def _load_batched(spec: VocabularyFile, path: Path, names: list[str], say: Progress) -> int:
    updates = [column for column, _ in spec.columns if column not in spec.key]
    count = 0
    batch: dict[tuple, object] = {}

    def flush() -> None:
        spec.model.objects.bulk_create(
            list(batch.values()), update_conflicts=True, unique_fields=list(spec.key), update_fields=updates
        )
        batch.clear()

    for row in _rows(spec, path, names):
        batch[tuple(row[k] for k in spec.key)] = spec.model(**row)
        count += 1
        if len(batch) >= BATCH:
            flush()
            say(f"{spec.filename}: {count:,} rows")
    if batch:
        flush()
    return count


# ------------------------------------------------------------------------------------------------ resolution


@dataclass(frozen=True)
class Resolution:
    """What a loaded vocabulary says about a code: its own concept and the standard concept it maps to."""

    source: OmopConcept
    standard: OmopConcept | None


def vocabulary_loaded() -> bool:
    return OmopConcept.objects.exists()


def codes_resolve(codes: list[tuple[str, str]]) -> dict[tuple[str, str], Resolution]:
    """concept_resolve for many (vocabulary, code) pairs in three queries; codes the vocabulary lacks are absent."""
    wanted = set()
    by_id = Q()
    by_code = Q()
    for vocabulary, code in codes:
        if vocabulary == OMOP:
            if code.isdigit() and int(code) <= OMOP_CONCEPT_ID_MAX:
                by_id |= Q(concept_id=int(code))
                wanted.add((vocabulary, code))
        else:
            by_code |= Q(vocabulary_id=vocabulary, concept_code=code)
            wanted.add((vocabulary, code))
    if not wanted:
        return {}
    sources: dict[tuple[str, str], OmopConcept] = {}
    # A code can have an invalid (upgraded or deprecated) concept besides the valid one: the valid one wins.
    for concept in OmopConcept.objects.filter(by_id | by_code).order_by("-invalid_reason"):
        if (OMOP, str(concept.concept_id)) in wanted:
            sources[(OMOP, str(concept.concept_id))] = concept
        if (concept.vocabulary_id, concept.concept_code) in wanted:
            sources[(concept.vocabulary_id, concept.concept_code)] = concept
    unmapped = [c.concept_id for c in sources.values() if c.standard_concept != "S"]
    maps_to: dict[int, int] = {}
    relationships = OmopConceptRelationship.objects.filter(
        concept_id_1__in=unmapped, relationship_id="Maps to", invalid_reason=""
    ).order_by("-concept_id_2")
    for concept_id_1, concept_id_2 in relationships.values_list("concept_id_1", "concept_id_2"):
        maps_to[concept_id_1] = concept_id_2
    targets = concepts_by_id(list(maps_to.values()))
    resolved = {}
    for key, source in sources.items():
        standard = source if source.standard_concept == "S" else targets.get(maps_to.get(source.concept_id, -1))
        resolved[key] = Resolution(source=source, standard=standard)
    return resolved


def concept_resolve(vocabulary: str, code: str) -> Resolution | None:
    """The concept of `code` in `vocabulary` and its standard concept (itself when standard, else through a valid
    'Maps to' relationship, the lowest target id when there are several), or None when the loaded vocabulary does
    not have the code."""
    return codes_resolve([(vocabulary, code)]).get((vocabulary, code))


def concepts_by_id(concept_ids: list[int]) -> dict[int, OmopConcept]:
    return {c.concept_id: c for c in OmopConcept.objects.filter(concept_id__in=concept_ids)}


def concept_descendants(concept_id: int, *, limit: int = 50) -> tuple[list[OmopConcept], int]:
    """Up to `limit` descendants of a concept (CONCEPT_ANCESTOR, not the concept itself), nearest first, and how many
    there are in all."""
    links = OmopConceptAncestor.objects.filter(ancestor_concept_id=concept_id).exclude(descendant_concept_id=concept_id)
    total = links.count()
    ordered = list(
        links.order_by("min_levels_of_separation", "descendant_concept_id").values_list(
            "descendant_concept_id", flat=True
        )[:limit]
    )
    found = concepts_by_id(ordered)
    return [found[i] for i in ordered if i in found], total
