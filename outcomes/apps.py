from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save

TRIGGERS_MIGRATION = ("outcomes", "0003_published_versions_immutable_triggers")
AUDIT_TRIGGERS_MIGRATION = ("outcomes", "0004_auditevent_append_only")


def _reinstall_immutability_triggers(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """Put the immutability triggers back after every migrate.

    SQLite rebuilds a table (and silently drops its triggers) when a later migration alters it; installing is
    idempotent on both databases, so this keeps the guarantee whatever migrations come after 0003.
    """
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from outcomes.immutability import install

    connection = connections[using]
    if TRIGGERS_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    install(connection)


def _reinstall_audit_triggers(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """Put the append-only audit triggers back after every migrate (idempotent; see outcomes/audit_triggers.py)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    from outcomes.audit_triggers import audit_triggers_install

    connection = connections[using]
    if AUDIT_TRIGGERS_MIGRATION in MigrationRecorder(connection).applied_migrations():
        audit_triggers_install(connection)


def _reinstall_mapping_triggers(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """Put the reviewed concept set triggers back after every migrate (idempotent; outcomes/mapping_triggers.py),
    once the migration that creates the concept set tables (and installs them first) has run."""
    from django.db import connections

    from outcomes.mapping_triggers import ITEM_TABLE, REVISION_TABLE, mapping_triggers_install

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    if {REVISION_TABLE, ITEM_TABLE} <= tables:
        mapping_triggers_install(connection)


def _fill_search_index(sender: AppConfig, using: str = "default", **kwargs) -> None:
    """After a migrate: index the sets a migration could not (outcomes/migrations/0011_search_engine.py)."""
    from django.db import connections

    from outcomes.services.search import live_schema_ready, search_index_fill_missing

    if live_schema_ready(connections[using]):
        search_index_fill_missing()


def _search_data_changed(sender, **kwargs) -> None:
    from outcomes.search.generation import search_generation_bump

    search_generation_bump()


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Core outcome sets"

    def ready(self) -> None:
        from outcomes.immutability import allow_flush_on_sqlite

        allow_flush_on_sqlite()
        post_migrate.connect(_reinstall_immutability_triggers, sender=self)
        post_migrate.connect(_reinstall_audit_triggers, sender=self)
        post_migrate.connect(_reinstall_mapping_triggers, sender=self)
        post_migrate.connect(_fill_search_index, sender=self)
        # A curator's edit of a synonym or an instrument (admin) reaches every process's copy of the lists search
        # keeps (outcomes/search/generation.py).
        from outcomes.models import Instrument, SearchSynonym

        for model in (SearchSynonym, Instrument):
            post_save.connect(_search_data_changed, sender=model, dispatch_uid=f"search-{model.__name__}-saved")
            post_delete.connect(_search_data_changed, sender=model, dispatch_uid=f"search-{model.__name__}-deleted")
        # Register the Celery tasks in every process (web too), so the outbox can send them by name.
        from outcomes import tasks  # noqa: F401
