"""Build a SYNTHETIC OMOP CDM v5.4 in a schema of the registry's PostgreSQL database, to try the feasibility runner
(outcomes/feasibility/synthetic_cdm.py says what it holds; docs/network.md)."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from outcomes.feasibility.synthetic_cdm import synthetic_cdm_build

SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Command(BaseCommand):
    help = "Create (or re-create) a synthetic OMOP CDM v5.4 in a PostgreSQL schema, for trying the feasibility runner."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", default="synthetic_cdm", help="schema of the CDM tables (dropped first)")
        parser.add_argument("--vocabulary-schema", help="schema of the vocabulary tables (default: the same)")

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The synthetic CDM needs PostgreSQL: set DATABASE_URL=postgres://...")
        schemas = [options["schema"], options["vocabulary_schema"] or options["schema"]]
        for schema in schemas:
            if not SCHEMA_RE.match(schema) or schema in ("public", "pg_catalog", "information_schema"):
                raise CommandError(f"Schema {schema!r}: use lower-case letters, digits and _, not a system schema.")
        with transaction.atomic(), connection.cursor() as cur:
            synthetic_cdm_build(cur, cdm_schema=schemas[0], vocabulary_schema=schemas[1])
        self.stdout.write(
            self.style.SUCCESS(f"Synthetic OMOP CDM v5.4 (50 synthetic persons) in schema {schemas[0]!r}.")
        )
