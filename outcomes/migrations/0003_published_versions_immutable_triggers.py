"""Database triggers that make published, superseded and withdrawn versions immutable (outcomes/immutability.py)."""

from __future__ import annotations

from django.db import migrations


def install_triggers(apps, schema_editor) -> None:
    from outcomes.immutability import install

    install(schema_editor.connection)


def remove_triggers(apps, schema_editor) -> None:
    from outcomes.immutability import remove

    remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_outcome_meaning_changed"),
    ]

    operations = [
        migrations.RunPython(install_triggers, remove_triggers),
    ]
