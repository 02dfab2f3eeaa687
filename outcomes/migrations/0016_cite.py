from django.conf import settings
from django.db import migrations, models


def remove_triggers(apps, schema_editor) -> None:
    # SQLite rebuilds the version table to add a column; the triggers that read it must be out of the way.
    from outcomes.immutability import remove

    remove(schema_editor.connection, drop_flush_table=False)


def install_triggers(apps, schema_editor) -> None:
    # The DOI is not among the frozen columns: a DOI minted after publication can be recorded on a frozen version.
    from outcomes.immutability import install

    install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0015_omopmap"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(remove_triggers, install_triggers),
        migrations.AddField(
            model_name="coreoutcomesetversion",
            name="doi",
            field=models.CharField(blank=True, max_length=200, verbose_name="DOI"),
        ),
        migrations.AddConstraint(
            model_name="coreoutcomesetversion",
            constraint=models.CheckConstraint(
                condition=models.Q(("doi", ""), ("doi__regex", "^10\\.[0-9]{4,9}/\\S+$"), _connector="OR"),
                name="version_doi_format",
                violation_error_message="A DOI looks like 10.1234/abc: '10.', a registrant code, '/', a suffix.",
            ),
        ),
        migrations.AddConstraint(
            model_name="coreoutcomesetversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("doi", ""), _negated=True), fields=("doi",), name="version_doi_unique"
            ),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
