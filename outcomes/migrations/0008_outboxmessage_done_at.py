from django.db import migrations, models
from django.db.models import F


def sent_messages_are_done(apps, schema_editor) -> None:
    # Messages sent before tasks recorded their work were delivered by the old rule: do not send them again.
    OutboxMessage = apps.get_model("outcomes", "OutboxMessage")
    OutboxMessage.objects.filter(sent_at__isnull=False).update(done_at=F("sent_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0007_rating_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="done_at",
            field=models.DateTimeField(blank=True, db_index=True, null=True),
        ),
        migrations.RunPython(sent_messages_are_done, migrations.RunPython.noop),
    ]
