"""The search vocabulary (SearchWord) also holds each hyphenated compound written as one word ("kccq12",
"wellbeing"), as the index does, so that a query typing it so is not "corrected" into another word. Adds them for the
sets indexed before; new index rows add them themselves (outcomes.services.search)."""

from django.db import migrations

from outcomes.search.text import CODE_FIELDS, vocabulary_words


def compounds_add(apps, schema_editor) -> None:
    SetSearchIndex = apps.get_model("outcomes", "SetSearchIndex")
    SearchWord = apps.get_model("outcomes", "SearchWord")
    found: dict[str, str] = {}
    for sources in SetSearchIndex.objects.values_list("sources", flat=True).iterator(chunk_size=500):
        for name, text, _ in sources or []:
            if name not in CODE_FIELDS:
                found.update(vocabulary_words(text))
    SearchWord.objects.bulk_create(
        [SearchWord(word=word, stem=stem) for word, stem in found.items()], ignore_conflicts=True, batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0018_search"),
    ]

    operations = [
        migrations.RunPython(compounds_add, migrations.RunPython.noop),
    ]
