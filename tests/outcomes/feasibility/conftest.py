"""A synthetic OMOP CDM (outcomes/feasibility/synthetic_cdm.py) in the PostgreSQL test database, committed through a
connection of its own so that the runner, which connects separately, sees it; dropped at the end of the module."""

from __future__ import annotations

import copy
import os
import urllib.parse

import psycopg2
import pytest
from django.conf import settings

from outcomes.exports.json import version_document
from outcomes.feasibility.synthetic_cdm import synthetic_cdm_build
from outcomes.models import CoreOutcomeSetVersion
from outcomes.selectors import version_document_queryset
from tests.conftest import is_postgres

HEART_FAILURE_SET = "ichom-heart-failure"


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = urllib.parse.quote(db.get("USER") or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{db['NAME']}"


@pytest.fixture(scope="module")
def cdm(django_db_setup, django_db_blocker):
    """(database URL, CDM schema, vocabulary schema) of a freshly built synthetic CDM."""
    if not is_postgres():
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    suffix = f"{os.getpid()}"
    schemas = (f"synthetic_cdm_{suffix}", f"synthetic_vocab_{suffix}")
    url = database_url()
    conn = psycopg2.connect(url)
    conn.autocommit = True
    with conn.cursor() as cur:
        synthetic_cdm_build(cur, cdm_schema=schemas[0], vocabulary_schema=schemas[1])
    yield url, *schemas
    with conn.cursor() as cur:
        for schema in schemas:
            cur.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    conn.close()


@pytest.fixture(scope="module")
def heart_failure_document(django_db_setup, django_db_blocker) -> dict:
    """The real JSON document of the shipped heart failure set's published version (no concept sets yet)."""
    with django_db_blocker.unblock():
        version = version_document_queryset().get(
            core_outcome_set__slug=HEART_FAILURE_SET, status=CoreOutcomeSetVersion.Status.PUBLISHED
        )
        return dict(version_document(version))


def item(vocabulary: str, code: str, domain: str, **flags) -> dict:
    """A concept set item as in the version document (docs/network.md); synthetic codes only."""
    return {
        "vocabulary": vocabulary,
        "code": code,
        "name": f"Synthetic {code}",
        "concept_id": None,
        "include_descendants": flags.get("include_descendants", False),
        "include_mapped": False,
        "is_excluded": flags.get("is_excluded", False),
        "domain": domain,
    }


def concept_set(items: list[dict], *, revision: int = 1, window=None, counts_all_deaths: bool = False) -> dict:
    return {
        "revision": revision,
        "status": "reviewed",
        "counts_all_deaths": counts_all_deaths,
        "window": window,
        "items": items,
    }


def with_concept_sets(document: dict, concept_sets: dict[str, dict]) -> dict:
    """The document with a `concept_set` on the outcomes named in `concept_sets` (the others: null, not mapped)."""
    doc = copy.deepcopy(document)
    doc["outcomes"] = [dict(o) for o in doc["outcomes"]]
    for outcome in doc["outcomes"]:
        outcome["concept_set"] = concept_sets.get(outcome["name"])
    unknown = set(concept_sets) - {o["name"] for o in doc["outcomes"]}
    assert not unknown, unknown
    return doc
