"""The search index also holds what kinds of instruments a set measures with ("Patient-reported outcome measure
(PROM)", ...), so that `PROM` or `patient-reported` finds the sets measuring with one, and stores a row's sources
heaviest field first (the order "why it matched" lists them in), without the stop words added with it (`after`,
`all`, `any`, `not`, ...: outcomes/search/text.py): rebuilds the rows indexed before with the live
search service, when the database already has every table and column it reads. Otherwise
(upgrading past later migrations that change those tables) it empties the index, and the post_migrate handler
(outcomes/apps.py) fills it once every migration has run."""

from django.db import migrations


def index_rebuild(apps, schema_editor) -> None:
    from outcomes.services.search import live_schema_ready, set_search_index_rebuild

    if not apps.get_model("outcomes", "CoreOutcomeSet").objects.exists():
        return
    if live_schema_ready(schema_editor.connection):
        set_search_index_rebuild()
    else:
        apps.get_model("outcomes", "SetSearchIndex").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0019_search_vocabulary_compounds"),
    ]

    operations = [
        migrations.RunPython(index_rebuild, migrations.RunPython.noop),
    ]
