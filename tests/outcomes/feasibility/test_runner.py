"""The feasibility runner (outcomes/feasibility/cos_feasibility.py) against the synthetic CDM: exact counts,
suppression, windows, descendants, exclusions, 'Maps to', read-only, and one-line refusals."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from outcomes.feasibility import cos_feasibility as runner
from outcomes.feasibility.synthetic_cdm import VISIT_700
from tests.outcomes.feasibility.conftest import concept_set, item, with_concept_sets

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
RUNNER = Path(runner.__file__)


def synthetic_outcome(name: str, cs: dict | None) -> dict:
    return {"identity": str(uuid.uuid5(uuid.NAMESPACE_URL, name)), "name": name, "concept_set": cs}


CONDITION = concept_set(
    [
        item("SNOMED", "SYN-100", "condition", include_descendants=True),
        item("SNOMED", "SYN-102", "condition", is_excluded=True),
    ]
)
SYNTHETIC_OUTCOMES = {
    "condition with descendants, one excluded": CONDITION,
    "condition without descendants": concept_set([item("SNOMED", "SYN-100", "condition")]),
    "source code mapped to a standard concept": concept_set([item("ICD10", "SYN-200", "condition")]),
    "measurement any time": concept_set([item("LOINC", "SYN-300", "measurement")]),
    "measurement within 30 days": concept_set(
        [item("LOINC", "SYN-300", "measurement")], window={"start_day": 0, "end_day": 30}
    ),
    "procedure in few persons": concept_set([item("SNOMED", "SYN-400", "procedure")]),
    "drug nobody takes": concept_set([item("RxNorm", "SYN-500", "drug")]),
    "observation": concept_set([item("SNOMED", "SYN-600", "observation")]),
    "visit by concept id": concept_set([item("OMOP", str(VISIT_700), "visit")]),
    "code the vocabulary lacks": concept_set([item("SNOMED", "SYN-999", "condition")]),
    "observation or procedure": concept_set(
        [item("SNOMED", "SYN-600", "observation"), item("SNOMED", "SYN-400", "procedure")]
    ),
}


@pytest.fixture(scope="module")
def document(heart_failure_document) -> dict:
    doc = with_concept_sets(
        heart_failure_document,
        {
            "Survival": concept_set([], revision=4, counts_all_deaths=True),
            "Burden of care": concept_set(
                [], revision=2, counts_all_deaths=True, window={"start_day": 0, "end_day": 365}
            ),
        },
    )
    doc["outcomes"] += [synthetic_outcome(name, cs) for name, cs in SYNTHETIC_OUTCOMES.items()]
    return doc


@pytest.fixture(scope="module")
def report(cdm, document) -> dict:
    url, cdm_schema, vocabulary_schema = cdm
    conn = runner.connect(url)
    try:
        return runner.run(
            set_version=runner.parse_version(document),
            conn=conn,
            cdm_schema=cdm_schema,
            vocabulary_schema=vocabulary_schema,
        )
    finally:
        conn.close()


def persons(report: dict, name: str):
    return next(o for o in report["outcomes"] if o["name"] == name)["persons"]


def test_the_population_counts_persons_with_the_sets_condition_codes_and_their_descendants(report):
    assert report["population"]["persons"] == 40
    assert report["population"]["concepts"] == 2  # the standard heart failure concept and its synthetic child


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("condition with descendants, one excluded", 15),
        ("condition without descendants", 12),
        ("source code mapped to a standard concept", 7),
        ("measurement any time", 15),
        ("measurement within 30 days", 10),
        ("observation", 8),
        ("visit by concept id", 20),
        ("observation or procedure", 8),
        ("Survival", 6),
        ("Burden of care", 5),  # all deaths within a year of the index date
    ],
)
def test_each_outcome_counts_persons_of_the_population_only(report, name, expected):
    assert persons(report, name) == expected


def test_a_count_under_the_minimum_is_reported_as_less_than_the_minimum_never_exact(report):
    assert persons(report, "procedure in few persons") == "< 5"
    entry = next(o for o in report["outcomes"] if o["name"] == "procedure in few persons")
    assert 3 not in entry.values()  # the exact count appears nowhere in the entry


def test_zero_is_reported_as_zero_both_when_no_record_and_when_no_code_resolves(report):
    assert persons(report, "drug nobody takes") == 0
    unresolved = next(o for o in report["outcomes"] if o["name"] == "code the vocabulary lacks")
    assert (unresolved["persons"], unresolved["concepts"]) == (0, 0)


def test_an_outcome_without_a_concept_set_is_reported_as_not_mapped(report):
    symptom = next(o for o in report["outcomes"] if o["name"] == "Symptom burden")
    assert symptom["status"] == "not_mapped" and symptom["persons"] is None and symptom["mapping_revision"] is None


def test_the_report_names_the_set_version_mapping_revisions_cdm_and_runner(report, document):
    assert report["format"] == "cos-registry/feasibility-report/1"
    assert report["runner_version"] == runner.RUNNER_VERSION
    assert report["set"] == {
        "slug": "ichom-heart-failure",
        "version": document["version"],
        "canonical_url": document["canonical_url"],
    }
    assert report["min_cell_count"] == 5
    assert {o["name"]: o["mapping_revision"] for o in report["outcomes"]}["Survival"] == 4
    assert report["cdm"] == {
        "cdm_version": "v5.4",
        "vocabulary_version": "SYNTHETIC 2026-01",
        "observation_period_start": "2015-01-01",
        "observation_period_end": "2024-12-31",
    }
    assert report["generated_at"].endswith("Z")
    assert [o["identity"] for o in report["outcomes"]] == [o["identity"] for o in document["outcomes"]]


def test_a_higher_minimum_suppresses_more(cdm, document):
    url, cdm_schema, vocabulary_schema = cdm
    conn = runner.connect(url)
    try:
        result = runner.run(
            set_version=runner.parse_version(document),
            conn=conn,
            cdm_schema=cdm_schema,
            vocabulary_schema=vocabulary_schema,
            min_cell_count=10,
        )
    finally:
        conn.close()
    assert persons(result, "observation") == "< 10"
    assert persons(result, "measurement within 30 days") == 10


def test_the_runners_connection_refuses_every_write(cdm):
    url, cdm_schema, _ = cdm
    conn = runner.connect(url)
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute(f'DELETE FROM "{cdm_schema}".person')  # noqa: S608 - the test's own schema name
        conn.rollback()
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute(f'CREATE TABLE "{cdm_schema}".scratch (id integer)')
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "10min"
    finally:
        conn.close()


# --- The program as a partner runs it -------------------------------------------------------------------------------


def run_program(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNNER), *args], capture_output=True, text=True, timeout=120)


def test_the_program_writes_the_report_and_shows_progress_on_stderr(cdm, document, tmp_path):
    url, cdm_schema, vocabulary_schema = cdm
    source, output = tmp_path / "version.json", tmp_path / "report.json"
    source.write_text(json.dumps(document))
    done = run_program(
        "--set-version", str(source), "--database", url, "--cdm-schema", cdm_schema,
        "--vocabulary-schema", vocabulary_schema, "--output", str(output),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = json.loads(output.read_text())
    assert written["population"]["persons"] == 40
    assert persons(written, "procedure in few persons") == "< 5"
    assert "[3/" in done.stderr and "Symptom burden" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"database": "postgresql://nobody@127.0.0.1:1/none"}, "database 127.0.0.1:1/none: cannot connect"),
        ({"database": "mysql://x@y/z"}, "database URL: expected postgresql://"),
        ({"cdm_schema": "no_such_schema"}, "CDM schema 'no_such_schema' does not exist"),
        ({"vocabulary_schema": "no_such_vocab"}, "vocabulary schema 'no_such_vocab' does not exist"),
        ({"cdm_schema": "public"}, "CDM schema 'public' has no table person"),
    ],
)
def test_a_bad_connection_or_schema_is_one_line_naming_it_without_a_traceback(cdm, document, tmp_path, change, message):
    url, cdm_schema, vocabulary_schema = cdm
    args = {"database": url, "cdm_schema": cdm_schema, "vocabulary_schema": vocabulary_schema} | change
    source, output = tmp_path / "version.json", tmp_path / "report.json"
    source.write_text(json.dumps(document))
    done = run_program(
        "--set-version", str(source), "--database", args["database"], "--cdm-schema", args["cdm_schema"],
        "--vocabulary-schema", args["vocabulary_schema"], "--output", str(output),
    )  # fmt: skip
    last = done.stderr.strip().splitlines()[-1]
    assert done.returncode != 0
    assert message in last, done.stderr
    assert "Traceback" not in done.stderr
    assert not output.exists()


def test_a_cdm_missing_one_table_is_refused_naming_the_table(cdm, document, tmp_path):
    url, cdm_schema, vocabulary_schema = cdm
    broken = f"{cdm_schema}_broken"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{broken}" CASCADE; CREATE SCHEMA "{broken}"')
        for table in runner.CDM_TABLES:
            if table != "death":
                cur.execute(f'CREATE TABLE "{broken}"."{table}" AS TABLE "{cdm_schema}"."{table}"')
    try:
        source = tmp_path / "version.json"
        source.write_text(json.dumps(document))
        done = run_program(
            "--set-version", str(source), "--database", url, "--cdm-schema", broken,
            "--vocabulary-schema", vocabulary_schema, "--output", str(tmp_path / "r.json"),
        )  # fmt: skip
    finally:
        with conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA "{broken}" CASCADE')
        conn.close()
    assert done.returncode != 0
    assert f"CDM schema '{broken}' has no table death" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "not JSON, so not a COS Registry version document"),
        (json.dumps({"format": "something/else"}), "not a COS Registry version document (its format"),
        (json.dumps([1, 2]), "not a COS Registry version document"),
    ],
)
def test_a_file_that_is_not_a_version_document_is_refused_in_one_line(tmp_path, content, message):
    source = tmp_path / "version.json"
    source.write_text(content)
    done = run_program(
        "--set-version", str(source), "--database", "postgresql://x@127.0.0.1/none", "--cdm-schema", "cdm",
        "--output", str(tmp_path / "r.json"),
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr


def test_a_concept_set_item_in_an_unknown_vocabulary_is_refused_naming_the_item(document):
    doc = json.loads(json.dumps(document))
    doc["outcomes"][0]["concept_set"] = concept_set([item("MeSH", "D006333", "condition")])
    with pytest.raises(runner.RunnerError, match=r"outcomes\[0\]\.concept_set\.items\[0\]\.vocabulary 'MeSH'"):
        runner.parse_version(doc)


def test_the_runner_imports_nothing_from_the_registry():
    source = RUNNER.read_text()
    assert "django" not in source.lower().replace("no django", "")
    assert "from outcomes" not in source and "import outcomes" not in source
    done = subprocess.run(
        [sys.executable, "-I", str(RUNNER), "--help"], capture_output=True, text=True, timeout=60, cwd="/"
    )
    assert done.returncode == 0 and "--min-cell-count" in done.stdout
