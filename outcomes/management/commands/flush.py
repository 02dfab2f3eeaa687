"""Django's `flush`, able to empty the append-only audit table on SQLite.

PostgreSQL flushes with TRUNCATE, which the row triggers do not see. SQLite flushes with DELETE, which the
append-only trigger refuses: remove the triggers for the flush and put them back afterwards.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from outcomes.audit_triggers import audit_triggers_install, audit_triggers_remove


class Command(FlushCommand):
    def handle(self, **options) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        audit_triggers_remove(connection)
        try:
            return super().handle(**options)
        finally:
            audit_triggers_install(connection)
