#!/usr/bin/env python3
"""COS Registry feasibility runner: how many persons of an OMOP CDM v5.4 database have the outcomes of a core
outcome set version. Run at the data partner; only the aggregate report it writes leaves the site.

Needs Python 3.9+ and psycopg2 only (not the registry). Usage:

    python cos_feasibility.py --set-version https://registry.example/api/v1/core-outcome-sets/SLUG/versions/1.0.0/ \
        --database postgresql://reader@db.example:5432/cdm --cdm-schema cdm --vocabulary-schema vocab \
        --min-cell-count 5 --output report.json

What it does (docs/network.md, "For data partners"):
1. Reads the set version (its URL or a downloaded JSON file): the population's ICD-10 and SNOMED CT codes and, per
   outcome, its concept set (an outcome without one is reported as not mapped).
2. Connects read-only (the session and every transaction are READ ONLY, with a statement timeout) and checks that
   both schemas and every table it reads exist.
3. Resolves every code through the CDM's own vocabulary tables: concept by vocabulary_id and concept_code, a
   non-standard concept through 'Maps to' to its standard concept(s), descendants through concept_ancestor when
   asked, excluded items removed.
4. Counts persons of the population (a condition_occurrence of the population's concepts; the index date is the
   person's first such record) and, per outcome, persons of the population with at least one record in the outcome's
   domain tables (within the outcome's window, in days from the index date, when it has one); any death row for an
   all-cause mortality outcome.
5. Suppresses small cells (0 < n < min cell count is written "< N", never the number; 0 stays 0) and writes the
   JSON report, which the partner reads before sending it to the registry.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

UTC = dt.timezone.utc  # noqa: UP017 - the runner supports Python 3.9, before datetime.UTC
RUNNER_VERSION = "1.0.0"
REPORT_FORMAT = "cos-registry/feasibility-report/1"
VERSION_FORMAT = "cos-registry/version/1"
DEFAULT_MIN_CELL_COUNT = 5
DEFAULT_TIMEOUT_SECONDS = 600

# The CDM v5.4 tables the runner reads, by schema.
CDM_TABLES = (
    "person",
    "observation_period",
    "condition_occurrence",
    "procedure_occurrence",
    "measurement",
    "observation",
    "drug_exposure",
    "visit_occurrence",
    "death",
    "cdm_source",
)
VOCABULARY_TABLES = ("concept", "concept_relationship", "concept_ancestor", "vocabulary")

# Domain of a concept set item -> (table, concept column, date column) in CDM v5.4.
DOMAIN_TABLES = {
    "condition": ("condition_occurrence", "condition_concept_id", "condition_start_date"),
    "procedure": ("procedure_occurrence", "procedure_concept_id", "procedure_date"),
    "measurement": ("measurement", "measurement_concept_id", "measurement_date"),
    "observation": ("observation", "observation_concept_id", "observation_date"),
    "drug": ("drug_exposure", "drug_concept_id", "drug_exposure_start_date"),
    "visit": ("visit_occurrence", "visit_concept_id", "visit_start_date"),
    "death": ("death", "cause_concept_id", "death_date"),
}
VOCABULARIES = {"SNOMED", "LOINC", "ICD10", "ICD10CM", "RxNorm", "ATC", "OMOP"}


class RunnerError(Exception):
    """A problem the partner can fix, shown as one line naming the thing (no traceback)."""


def progress(message: str) -> None:
    print(f"cos-feasibility: {message}", file=sys.stderr, flush=True)


# --- The set version ------------------------------------------------------------------------------------------------


@dataclass
class Item:
    vocabulary: str
    code: str
    domain: str
    include_descendants: bool
    is_excluded: bool


@dataclass
class OutcomeSpec:
    identity: str
    name: str
    mapped: bool
    revision: int | None = None
    counts_all_deaths: bool = False
    window: tuple[int, int] | None = None
    items: list[Item] = field(default_factory=list)


@dataclass
class SetVersion:
    slug: str
    version: str
    canonical_url: str
    population: list[Item]
    outcomes: list[OutcomeSpec]


def load_document(source: str) -> dict:
    """The version JSON from a URL (http/https) or a file."""
    if re.match(r"^https?://", source):
        request = urllib.request.Request(source, headers={"Accept": "application/json"})  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - http(s) only, checked above
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise RunnerError(f"set version {source}: the registry answered HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise RunnerError(f"set version {source}: cannot download it ({getattr(exc, 'reason', exc)})") from None
    else:
        try:
            with open(source, "rb") as fh:
                body = fh.read()
        except OSError as exc:
            raise RunnerError(f"set version file {source}: {exc.strerror}") from None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise RunnerError(f"set version {source}: not JSON, so not a COS Registry version document") from None


def _bad(source: str, what: str) -> RunnerError:
    return RunnerError(f"set version {source}: not a COS Registry version document ({what})")


def _item(raw: object, where: str, source: str) -> Item:
    if not isinstance(raw, dict):
        raise _bad(source, f"{where} is not an object")
    vocabulary, code, domain = raw.get("vocabulary"), raw.get("code"), raw.get("domain")
    if vocabulary not in VOCABULARIES:
        raise _bad(source, f"{where}.vocabulary {vocabulary!r} is not one of {', '.join(sorted(VOCABULARIES))}")
    if not isinstance(code, str) or not code.strip():
        raise _bad(source, f"{where}.code is missing")
    if domain not in DOMAIN_TABLES:
        raise _bad(source, f"{where}.domain {domain!r} is not one of {', '.join(DOMAIN_TABLES)}")
    if vocabulary == "OMOP" and not code.strip().isdigit():
        raise _bad(source, f"{where}.code {code!r} is not an OMOP concept id")
    return Item(
        vocabulary=vocabulary,
        code=code.strip(),
        domain=domain,
        include_descendants=bool(raw.get("include_descendants", False)),
        is_excluded=bool(raw.get("is_excluded", False)),
    )


def _window(raw: object, where: str, source: str) -> tuple[int, int] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), int) for k in ("start_day", "end_day")):
        raise _bad(source, f"{where} needs integer start_day and end_day")
    if raw["start_day"] > raw["end_day"]:
        raise _bad(source, f"{where} starts after it ends")
    return raw["start_day"], raw["end_day"]


def parse_version(document: object, source: str = "document") -> SetVersion:
    """The parts of a version document the runner needs; anything else in it is ignored."""
    if not isinstance(document, dict) or document.get("format") != VERSION_FORMAT:
        raise _bad(source, f"its format is not {VERSION_FORMAT!r}")
    cos, outcomes = document.get("set"), document.get("outcomes")
    if not isinstance(cos, dict) or not isinstance(cos.get("slug"), str):
        raise _bad(source, "set.slug is missing")
    if not isinstance(document.get("version"), str) or not isinstance(outcomes, list):
        raise _bad(source, "version or outcomes is missing")
    population = []
    for i, condition in enumerate(cos.get("conditions") or []):
        if not isinstance(condition, dict):
            raise _bad(source, f"set.conditions[{i}] is not an object")
        for code in condition.get("icd10") or []:
            population.append(Item("ICD10", str(code), "condition", True, False))
        if condition.get("snomed_ct_id"):
            population.append(Item("SNOMED", str(condition["snomed_ct_id"]), "condition", True, False))
    specs = []
    for i, raw in enumerate(outcomes):
        if not isinstance(raw, dict) or not raw.get("identity") or not raw.get("name"):
            raise _bad(source, f"outcomes[{i}] needs an identity and a name")
        spec = OutcomeSpec(identity=str(raw["identity"]), name=str(raw["name"]), mapped=False)
        concept_set = raw.get("concept_set")  # missing or null: not mapped yet
        if concept_set is not None:
            where = f"outcomes[{i}].concept_set"
            if not isinstance(concept_set, dict) or not isinstance(concept_set.get("items", []), list):
                raise _bad(source, f"{where} is not an object with a list of items")
            revision = concept_set.get("revision")
            if not isinstance(revision, int):
                raise _bad(source, f"{where}.revision is not a number")
            spec.mapped = True
            spec.revision = revision
            spec.counts_all_deaths = bool(concept_set.get("counts_all_deaths", False))
            spec.window = _window(concept_set.get("window"), f"{where}.window", source)
            spec.items = [_item(it, f"{where}.items[{j}]", source) for j, it in enumerate(concept_set.get("items", []))]
        specs.append(spec)
    return SetVersion(
        slug=cos["slug"],
        version=document["version"],
        canonical_url=str(document.get("canonical_url") or ""),
        population=population,
        outcomes=specs,
    )


# --- The database ---------------------------------------------------------------------------------------------------


def _safe_url(url: str) -> str:
    """The connection URL without its password, for messages."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or ''}"


def connect(url: str, *, timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS):
    """A read-only connection: the session is READ ONLY, so every statement that writes fails."""
    import psycopg2

    if not re.match(r"^postgres(ql)?://", url or ""):
        raise RunnerError("database URL: expected postgresql://user[:password]@host[:port]/database")
    # Session settings, so no transaction can undo them: every transaction read-only, every statement timed out.
    options = f"-c default_transaction_read_only=on -c statement_timeout={int(timeout_seconds) * 1000}"
    try:
        conn = psycopg2.connect(url, connect_timeout=30, application_name="cos-feasibility", options=options)
    except psycopg2.Error as exc:
        first_line = (str(exc).strip().splitlines() or ["unknown error"])[0]
        raise RunnerError(f"database {_safe_url(url)}: cannot connect ({first_line})") from None
    conn.set_session(readonly=True, autocommit=False)
    with conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
    return conn


def check_schemas(cur, cdm_schema: str, vocabulary_schema: str) -> None:
    for role, schema, tables in (
        ("CDM", cdm_schema, CDM_TABLES),
        ("vocabulary", vocabulary_schema, VOCABULARY_TABLES),
    ):
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        if cur.fetchone() is None:
            raise RunnerError(f"{role} schema {schema!r} does not exist in this database")
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_name = ANY(%s)",
            (schema, list(tables)),
        )
        present = {row[0] for row in cur.fetchall()}
        missing = [t for t in tables if t not in present]
        if missing:
            raise RunnerError(f"{role} schema {schema!r} has no table {', '.join(missing)} (an OMOP CDM v5.4 needs it)")


def _q(schema: str, table: str):
    from psycopg2 import sql

    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table))


def resolve(cur, vocabulary_schema: str, items: list[Item]) -> set[int]:
    """Standard concept ids of a concept set: included items (with descendants when asked) minus excluded ones."""
    included = _resolve_items(cur, vocabulary_schema, [i for i in items if not i.is_excluded])
    excluded = _resolve_items(cur, vocabulary_schema, [i for i in items if i.is_excluded])
    return included - excluded


def _resolve_items(cur, schema: str, items: list[Item]) -> set[int]:
    from psycopg2 import sql

    concept, relationship, ancestor = (_q(schema, t) for t in ("concept", "concept_relationship", "concept_ancestor"))
    result: set[int] = set()
    for item in items:
        if item.vocabulary == "OMOP":
            cur.execute(sql.SQL("SELECT concept_id FROM {} WHERE concept_id = %s").format(concept), (int(item.code),))
        else:
            cur.execute(
                sql.SQL("SELECT concept_id FROM {} WHERE vocabulary_id = %s AND concept_code = %s").format(concept),
                (item.vocabulary, item.code),
            )
        found = [row[0] for row in cur.fetchall()]
        if not found:
            continue
        # A standard concept stands for itself; a non-standard one for the standard concepts it 'Maps to'.
        cur.execute(
            sql.SQL(
                "SELECT c.concept_id FROM {c} c WHERE c.concept_id = ANY(%s) AND c.standard_concept = 'S' "
                "UNION SELECT r.concept_id_2 FROM {r} r JOIN {c} s ON s.concept_id = r.concept_id_2 "
                "WHERE r.concept_id_1 = ANY(%s) AND r.relationship_id = 'Maps to' AND r.invalid_reason IS NULL "
                "AND s.standard_concept = 'S'"
            ).format(c=concept, r=relationship),
            (found, found),
        )
        standard = {row[0] for row in cur.fetchall()}
        result |= standard
        if item.include_descendants and standard:
            cur.execute(
                sql.SQL("SELECT descendant_concept_id FROM {} WHERE ancestor_concept_id = ANY(%s)").format(ancestor),
                (list(standard),),
            )
            result |= {row[0] for row in cur.fetchall()}
    return result


def _population_cte(cdm: str):
    from psycopg2 import sql

    return sql.SQL(
        "WITH population AS (SELECT person_id, MIN(condition_start_date) AS index_date FROM {} "
        "WHERE condition_concept_id = ANY(%(population)s) GROUP BY person_id) "
    ).format(_q(cdm, "condition_occurrence"))


def count_population(cur, cdm: str, population: set[int]) -> int:
    from psycopg2 import sql

    query = _population_cte(cdm) + sql.SQL("SELECT COUNT(*) FROM population")
    cur.execute(query, {"population": list(population)})
    return int(cur.fetchone()[0])


def count_outcome(cur, cdm: str, population: set[int], by_domain: dict[str, set[int]], spec: OutcomeSpec) -> int:
    """Persons of the population with at least one record of the outcome (in its window when it has one)."""
    from psycopg2 import sql

    parts = []
    params: dict[str, object] = {"population": list(population)}
    if spec.window is not None:
        params["start_day"], params["end_day"] = spec.window
    for n, (domain, concepts) in enumerate(sorted(by_domain.items())):
        if not concepts:
            continue
        table, concept_column, date_column = DOMAIN_TABLES[domain]
        params[f"c{n}"] = list(concepts)
        parts.append(
            _domain_select(table, concept_column, date_column, cdm, sql.Placeholder(f"c{n}"), spec.window is not None)
        )
    if spec.counts_all_deaths:
        parts.append(_domain_select("death", None, "death_date", cdm, None, spec.window is not None))
    if not parts:
        return 0
    query = (
        _population_cte(cdm)
        + sql.SQL("SELECT COUNT(DISTINCT person_id) FROM (")
        + sql.SQL(" UNION ").join(parts)
        + sql.SQL(") AS found")
    )
    cur.execute(query, params)
    return int(cur.fetchone()[0])


def _domain_select(table, concept_column, date_column, cdm, placeholder, windowed: bool):
    from psycopg2 import sql

    conditions = []
    if concept_column is not None:
        conditions.append(sql.SQL("t.{} = ANY(").format(sql.Identifier(concept_column)) + placeholder + sql.SQL(")"))
    if windowed:
        # Days relative to the index date (the person's first record of the population's condition), inclusive.
        conditions.append(
            sql.SQL("t.{d} BETWEEN p.index_date + %(start_day)s AND p.index_date + %(end_day)s").format(
                d=sql.Identifier(date_column)
            )
        )
    where = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("TRUE")
    return (
        sql.SQL("SELECT p.person_id FROM population p JOIN {} t ON t.person_id = p.person_id WHERE ").format(
            _q(cdm, table)
        )
        + where
    )


def cdm_info(cur, cdm: str, vocabulary_schema: str) -> dict:
    from psycopg2 import sql

    cur.execute(sql.SQL("SELECT cdm_version FROM {} LIMIT 1").format(_q(cdm, "cdm_source")))
    row = cur.fetchone()
    cur.execute(
        sql.SQL("SELECT vocabulary_version FROM {} WHERE vocabulary_id = 'None'").format(
            _q(vocabulary_schema, "vocabulary")
        )
    )
    vocabulary = cur.fetchone()
    cur.execute(
        sql.SQL("SELECT MIN(observation_period_start_date), MAX(observation_period_end_date) FROM {}").format(
            _q(cdm, "observation_period")
        )
    )
    start, end = cur.fetchone()
    return {
        "cdm_version": row[0] if row else None,
        "vocabulary_version": vocabulary[0] if vocabulary else None,
        "observation_period_start": start.isoformat() if start else None,
        "observation_period_end": end.isoformat() if end else None,
    }


# --- The report -----------------------------------------------------------------------------------------------------


def suppress(count: int, min_cell_count: int) -> int | str:
    """A count as it may leave the site: 0 < n < minimum becomes "< minimum"; zero stays 0 (nobody to identify)."""
    if 0 < count < min_cell_count:
        return f"< {min_cell_count}"
    return count


def run(
    *,
    set_version: SetVersion,
    conn,
    cdm_schema: str,
    vocabulary_schema: str,
    min_cell_count: int = DEFAULT_MIN_CELL_COUNT,
) -> dict:
    """The report of one set version on one CDM (aggregates only, small cells suppressed)."""
    total = len(set_version.outcomes) + 2
    with conn.cursor() as cur:
        progress(f"[1/{total}] checking schemas {cdm_schema!r} and {vocabulary_schema!r}")
        check_schemas(cur, cdm_schema, vocabulary_schema)
        info = cdm_info(cur, cdm_schema, vocabulary_schema)
        population = resolve(cur, vocabulary_schema, set_version.population)
        progress(f"[2/{total}] population: {len(population)} concepts")
        persons = count_population(cur, cdm_schema, population) if population else 0
        outcomes = []
        for n, spec in enumerate(set_version.outcomes, start=3):
            progress(f"[{n}/{total}] {spec.name}")
            entry: dict = {"identity": spec.identity, "name": spec.name, "mapping_revision": spec.revision}
            if not spec.mapped:
                entry.update(status="not_mapped", concepts=0, persons=None)
                outcomes.append(entry)
                continue
            by_domain: dict[str, set[int]] = {}
            for domain in {item.domain for item in spec.items}:
                by_domain[domain] = resolve(cur, vocabulary_schema, [i for i in spec.items if i.domain == domain])
            found = sum(len(c) for c in by_domain.values())
            count = count_outcome(cur, cdm_schema, population, by_domain, spec) if population else 0
            entry.update(status="counted", concepts=found, persons=suppress(count, min_cell_count))
            if spec.window is not None:
                entry["window"] = {"start_day": spec.window[0], "end_day": spec.window[1]}
            outcomes.append(entry)
    conn.rollback()  # nothing was written; end the read-only transaction
    return {
        "format": REPORT_FORMAT,
        "runner_version": RUNNER_VERSION,
        "generated_at": dt.datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "min_cell_count": min_cell_count,
        "set": {"slug": set_version.slug, "version": set_version.version, "canonical_url": set_version.canonical_url},
        "cdm": info,
        "population": {"concepts": len(population), "persons": suppress(persons, min_cell_count)},
        "outcomes": outcomes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="cos_feasibility.py",
        description="Count, in your OMOP CDM v5.4, the persons who have the outcomes of a core outcome set version. "
        "Read-only; writes an aggregate JSON report to read before sending it to the COS Registry.",
    )
    parser.add_argument("--set-version", required=True, help="URL of the version's JSON, or a downloaded JSON file")
    parser.add_argument("--database", required=True, help="postgresql://user[:password]@host[:port]/database")
    parser.add_argument("--cdm-schema", required=True, help="schema of the CDM tables")
    parser.add_argument("--vocabulary-schema", help="schema of the vocabulary tables (default: the CDM schema)")
    parser.add_argument(
        "--min-cell-count",
        type=int,
        default=DEFAULT_MIN_CELL_COUNT,
        help="counts from 1 to this minus one are reported as '< N' (default 5)",
    )
    parser.add_argument("--statement-timeout", type=int, default=DEFAULT_TIMEOUT_SECONDS, help="seconds per query")
    parser.add_argument("--output", required=True, help="where to write the JSON report")
    args = parser.parse_args(argv)
    try:
        if args.min_cell_count < 1:
            raise RunnerError("--min-cell-count must be at least 1")
        set_version = parse_version(load_document(args.set_version), args.set_version)
        progress(f"set {set_version.slug} version {set_version.version}: {len(set_version.outcomes)} outcomes")
        try:
            import psycopg2
        except ImportError:
            raise RunnerError("psycopg2 is not installed: pip install psycopg2-binary") from None

        conn = connect(args.database, timeout_seconds=args.statement_timeout)
        try:
            report = run(
                set_version=set_version,
                conn=conn,
                cdm_schema=args.cdm_schema,
                vocabulary_schema=args.vocabulary_schema or args.cdm_schema,
                min_cell_count=args.min_cell_count,
            )
        except psycopg2.Error as exc:
            first_line = (str(exc).strip().splitlines() or ["unknown error"])[0]
            raise RunnerError(f"database {_safe_url(args.database)}: {first_line}") from None
        finally:
            conn.close()
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                json.dump(report, fh, indent=2, ensure_ascii=False)
                fh.write("\n")
        except OSError as exc:
            raise RunnerError(f"output {args.output}: {exc.strerror}") from None
    except RunnerError as exc:
        print(f"cos-feasibility: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cos-feasibility: interrupted", file=sys.stderr)
        return 130
    progress(f"report written to {args.output}: read it before sending it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
