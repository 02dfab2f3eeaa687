"""The set list's search index (outcomes/models/search.py, docs/performance.md): the table and its backfill, and on
PostgreSQL a trigram GIN index on its (case-folded) text, which the `q` filter compares with LIKE '%word%'.
Also indexes on the sets' title and (disease area, title): the list's order, so that a page of a filtered list
walks the sets in title order instead of sorting every match.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models

PUBLIC_STATUSES = ("published", "superseded", "withdrawn")
BATCH = 2000
TRGM_INDEX = "setsearchindex_text_trgm"


def backfill(apps, schema_editor) -> None:
    """One row per existing set, BATCH sets at a time (a fixed number of queries per batch). The same computation
    as outcomes.services.search (kept here so that the migration does not change when the service does)."""
    CoreOutcomeSet = apps.get_model("outcomes", "CoreOutcomeSet")
    Outcome = apps.get_model("outcomes", "Outcome")
    SetSearchIndex = apps.get_model("outcomes", "SetSearchIndex")
    set_ids = list(CoreOutcomeSet.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(set_ids), BATCH):
        batch = set_ids[start : start + BATCH]
        sets = {
            pk: (title, area)
            for pk, title, area in CoreOutcomeSet.objects.filter(pk__in=batch).values_list(
                "pk", "title", "disease_area_id"
            )
        }
        public = Outcome.objects.filter(version__core_outcome_set__in=batch, version__status__in=PUBLIC_STATUSES)
        names = defaultdict(set)
        for set_id, name in public.values_list("version__core_outcome_set", "name").distinct():
            names[set_id].add(name)
        bits = defaultdict(int)
        for set_id, number in public.values_list("version__core_outcome_set", "domains__number").distinct():
            if number is not None:
                bits[set_id] |= 1 << (number - 1)
        SetSearchIndex.objects.bulk_create(
            SetSearchIndex(
                core_outcome_set_id=pk,
                disease_area_id=sets[pk][1],
                domain_bits=bits[pk],
                text="\n".join([sets[pk][0], *sorted(names[pk])]).casefold(),
            )
            for pk in batch
        )


def trigram_index_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+); 0005 created it already.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON outcomes_setsearchindex USING gin (text gin_trgm_ops)"
    )


def trigram_index_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("diseases", "0001_initial"),
        ("outcomes", "0005_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SetSearchIndex",
            fields=[
                (
                    "core_outcome_set",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_index",
                        serialize=False,
                        to="outcomes.coreoutcomeset",
                    ),
                ),
                ("domain_bits", models.BigIntegerField(default=0)),
                ("text", models.TextField(blank=True)),
            ],
            options={
                "verbose_name": "set search index",
                "verbose_name_plural": "set search index",
            },
        ),
        migrations.AddIndex(
            model_name="coreoutcomeset",
            index=models.Index(fields=["title"], name="set_title_idx"),
        ),
        migrations.AddIndex(
            model_name="coreoutcomeset",
            index=models.Index(fields=["disease_area", "title"], name="set_area_title_idx"),
        ),
        migrations.AddField(
            model_name="setsearchindex",
            name="disease_area",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="diseases.diseasearea"
            ),
        ),
        migrations.AddConstraint(
            model_name="setsearchindex",
            constraint=models.CheckConstraint(
                condition=models.Q(("domain_bits__gte", 0), ("domain_bits__lt", 274877906944)),
                name="setsearchindex_domain_bits_1_38",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(trigram_index_create, trigram_index_drop),
    ]
