"""Indexes for the set list's filters at scale (docs/performance.md), on PostgreSQL only.

- `q` matches words anywhere in set titles and outcome names (`icontains`, which Django writes as
  UPPER(column) LIKE UPPER('%word%')): trigram GIN indexes on exactly that expression turn a scan of every
  outcome into an index lookup.
- `domain` looks outcomes up by COMET domain: (domain, outcome) lets the lookup read the index alone.
"""

from __future__ import annotations

from django.db import migrations

INDEXES = {
    "outcome_name_upper_trgm": "outcomes_outcome USING gin (UPPER(name::text) gin_trgm_ops)",
    "set_title_upper_trgm": "outcomes_coreoutcomeset USING gin (UPPER(title::text) gin_trgm_ops)",
    "outcome_domains_domain_outcome": "outcomes_outcome_domains (outcomedomain_id, outcome_id)",
}


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, target in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0004_auditevent_append_only"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]
