"""manage.py build_synthetic_cdm: the synthetic CDM in a schema of the registry's database (PostgreSQL only)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.conftest import is_postgres

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_the_command_builds_the_cdm_tables_with_their_synthetic_persons():
    if not is_postgres():
        pytest.skip("needs PostgreSQL (DATABASE_URL=postgres://...)")
    call_command("build_synthetic_cdm", "--schema", "cmd_synthetic_cdm", stdout=io.StringIO())
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM cmd_synthetic_cdm.person")
        assert cur.fetchone()[0] == 50
        cur.execute("SELECT MIN(concept_id) FROM cmd_synthetic_cdm.concept")
        assert cur.fetchone()[0] >= 2_000_000_000
        cur.execute("SELECT vocabulary_name FROM cmd_synthetic_cdm.vocabulary")
        assert all("Synthetic" in name for (name,) in cur.fetchall())


@pytest.mark.parametrize("schema", ["public", "Robert'); DROP TABLE person;--"])
def test_the_command_refuses_a_system_or_malformed_schema_name(schema):
    if not is_postgres():
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            call_command("build_synthetic_cdm", "--schema", schema)
        return
    with pytest.raises(CommandError, match="Schema"):
        call_command("build_synthetic_cdm", "--schema", schema)
