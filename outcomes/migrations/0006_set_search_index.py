"""The set list's search index (outcomes/models/search.py, docs/performance.md): the table, its backfill, and on
PostgreSQL a trigram GIN index on its (case-folded) text, which the `q` filter compares with LIKE ('%word%').
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
    SetSearchDomain = apps.get_model("outcomes", "SetSearchDomain")
    set_ids = list(CoreOutcomeSet.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(set_ids), BATCH):
        batch = set_ids[start : start + BATCH]
        titles = dict(CoreOutcomeSet.objects.filter(pk__in=batch).values_list("pk", "title"))
        public = Outcome.objects.filter(version__core_outcome_set__in=batch, version__status__in=PUBLIC_STATUSES)
        names = defaultdict(set)
        for set_id, name in public.values_list("version__core_outcome_set", "name").distinct():
            names[set_id].add(name)
        domains = set(
            public.filter(domains__isnull=False).values_list("version__core_outcome_set", "domains").distinct()
        )
        SetSearchIndex.objects.bulk_create(
            SetSearchIndex(core_outcome_set_id=pk, text="\n".join([titles[pk], *sorted(names[pk])]).casefold())
            for pk in batch
        )
        SetSearchDomain.objects.bulk_create(
            (SetSearchDomain(index_id=set_id, domain_id=domain_id) for set_id, domain_id in sorted(domains)),
            batch_size=5000,
        )


def trigram_index_create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON outcomes_setsearchindex USING gin (text gin_trgm_ops)"
    )


def trigram_index_drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0005_search_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="SetSearchDomain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "domain",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="outcomes.outcomedomain",
                    ),
                ),
            ],
        ),
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
                ("text", models.TextField(blank=True)),
                (
                    "domains",
                    models.ManyToManyField(
                        blank=True, related_name="+", through="outcomes.SetSearchDomain", to="outcomes.outcomedomain"
                    ),
                ),
            ],
            options={
                "verbose_name": "set search index",
                "verbose_name_plural": "set search index",
            },
        ),
        migrations.AddField(
            model_name="setsearchdomain",
            name="index",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="domain_links", to="outcomes.setsearchindex"
            ),
        ),
        migrations.AddConstraint(
            model_name="setsearchdomain",
            constraint=models.UniqueConstraint(fields=("domain", "index"), name="setsearchdomain_domain_set_unique"),
        ),
        migrations.AddIndex(
            model_name="coreoutcomeset",
            index=models.Index(fields=["title"], name="set_title_idx"),
        ),
        migrations.AddIndex(
            model_name="coreoutcomeset",
            index=models.Index(fields=["disease_area", "title"], name="set_area_title_idx"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(trigram_index_create, trigram_index_drop),
    ]
