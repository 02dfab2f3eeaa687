"""The search engine's ranking candidates (outcomes/search/engine.py): on PostgreSQL two more unweighted tsvectors
per set, the title and conditions (`head_document`) and the title, conditions and outcome names
(`names_document`), each with a GIN index, filled from the term columns. SQLite's FTS5 table needs nothing: a
column filter restricts a match to those columns.
"""

import django.contrib.postgres.search
from django.db import migrations

INDEX = "outcomes_setsearchindex"
# Only the constant table and index names above go into these statements.
POSTGRESQL = [
    f"CREATE INDEX IF NOT EXISTS setsearchindex_head_gin ON {INDEX} USING gin (head_document)",
    f"CREATE INDEX IF NOT EXISTS setsearchindex_names_gin ON {INDEX} USING gin (names_document)",
    f"""UPDATE {INDEX} SET
        head_document = to_tsvector('simple', title) || to_tsvector('simple', conditions),
        names_document = to_tsvector('simple', title) || to_tsvector('simple', conditions)
                         || to_tsvector('simple', outcomes)""",  # noqa: S608
]


def candidates_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRESQL:
            schema_editor.execute(statement)


def candidates_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS setsearchindex_head_gin")
        schema_editor.execute("DROP INDEX IF EXISTS setsearchindex_names_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0017_i18n"),
    ]

    operations = [
        migrations.AddField(
            model_name="setsearchindex",
            name="head_document",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="setsearchindex",
            name="names_document",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(candidates_create, candidates_drop),
    ]
