"""End to end, the data network: a synthetic OMOP CDM is generated, a data partner runs the feasibility runner on a
shipped set's version JSON (downloaded from the registry), uploads the report through the API with the data source's
token, and a reader sees the matrix on the set page, accessible."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import psycopg2
import pytest
from django.urls import reverse

from outcomes.feasibility import cos_feasibility
from outcomes.feasibility.synthetic_cdm import VISIT_700, synthetic_cdm_build
from outcomes.services.network import data_source_create
from tests.browser.conftest import PHONE, axe_violations
from tests.conftest import is_postgres
from tests.factories import CuratorFactory
from tests.outcomes.feasibility.conftest import concept_set, database_url, item, with_concept_sets

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SET = "ichom-heart-failure"


@pytest.fixture
def cdm():
    if not is_postgres():
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    schema = f"e2e_cdm_{os.getpid()}"
    conn = psycopg2.connect(database_url())
    conn.autocommit = True
    with conn.cursor() as cur:
        synthetic_cdm_build(cur, cdm_schema=schema)
    yield database_url(), schema
    with conn.cursor() as cur:
        cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


def run_runner(source: str, url: str, schema: str, output) -> dict:
    done = subprocess.run(
        [sys.executable, cos_feasibility.__file__, "--set-version", source, "--database", url,
         "--cdm-schema", schema, "--output", str(output)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(output.read_text())


def test_a_partner_runs_the_runner_uploads_the_report_and_the_set_page_shows_the_matrix(page, site, cdm, tmp_path):
    url, schema = cdm
    version_url = site + reverse("api:version-detail", args=[SET, "latest"])

    # 1. The shipped set as the registry serves it: no concept set yet, so its outcomes are "not mapped".
    plain = run_runner(version_url, url, schema, tmp_path / "plain.json")
    assert plain["population"]["persons"] == 40
    assert {o["status"] for o in plain["outcomes"]} == {"not_mapped"}

    # 2. The same document with concept sets as the mapping revisions will carry them (synthetic codes).
    with urllib.request.urlopen(version_url) as response:  # noqa: S310 - the live test server (http)
        document = json.loads(response.read())
    mapped = with_concept_sets(
        document,
        {
            "Survival": concept_set([], counts_all_deaths=True),
            "Burden of care": concept_set([item("OMOP", str(VISIT_700), "visit")], revision=2),
            "Symptom burden": concept_set([item("SNOMED", "SYN-400", "procedure")]),
            "Functional status": concept_set([item("RxNorm", "SYN-500", "drug")]),
        },
    )
    (tmp_path / "version.json").write_text(json.dumps(mapped))
    report = run_runner(str(tmp_path / "version.json"), url, schema, tmp_path / "report.json")

    # 3. Uploaded with the data source's token.
    _, token = data_source_create(name="E2E synthetic CDM", country="NL", contact="dp@example.org", by=CuratorFactory())
    upload = urllib.request.Request(  # noqa: S310 - the live test server (http)
        site + reverse("api:version-report-upload", args=[SET, document["version"]]),
        data=json.dumps(report).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"DataSource {token}"},
        method="POST",
    )
    with urllib.request.urlopen(upload) as response:  # noqa: S310 - the live test server
        assert response.status == 201

    # 4. The set page's matrix.
    page.goto(site + reverse("web:set-detail", args=[SET]))
    table = page.locator("table.table-network")
    body_rows = table.locator("tbody tr")
    rows = {
        body_rows.nth(i).locator("th").inner_text(): body_rows.nth(i).locator("td").all_inner_texts()
        for i in range(body_rows.count())
    }
    assert "E2E synthetic CDM" in table.locator("thead").inner_text()
    assert rows["Population (persons)"][1] == "5–99"
    assert rows["Survival"] == ["1 of 1", "5–99"]  # six deaths in the population
    assert rows["Burden of care"] == ["1 of 1", "5–99"]  # twenty visits
    assert rows["Symptom burden"] == ["1 of 1", "< 5"]  # three procedures
    assert rows["Functional status"] == ["0 of 1", "not found"]
    assert rows["Psychosocial wellbeing"] == ["0 of 1", "not mapped"]
    assert axe_violations(page, site) == []

    # 5. On a phone the matrix scrolls inside its own region, not the page.
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert axe_violations(page, site) == []
