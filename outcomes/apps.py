from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

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


def _set_conditions_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A set's conditions are searched (the search index holds them): whichever way they change, its index row is
    recomputed. `reverse`: changed from the condition's side (`pk_set` are then the sets)."""
    from outcomes.services.search import sets_search_index_refresh

    if action == "pre_clear" and reverse:
        instance._cleared_sets = list(instance.core_outcome_sets.values_list("pk", flat=True))
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        sets = [instance.pk]
    elif action == "post_clear":
        sets = getattr(instance, "_cleared_sets", [])
    else:
        sets = list(pk_set or [])
    if sets:
        sets_search_index_refresh(set_ids=sets)


def _set_grouping_saved(sender, instance, created: bool, **kwargs) -> None:
    """A renamed or recoded condition or disease area: the sets it groups are searched by its names and codes. A new
    one: the search form offers it. Both start a new search generation."""
    from outcomes.search.generation import search_generation_bump
    from outcomes.services.search import sets_search_index_refresh

    if created:
        search_generation_bump()
    else:
        sets_search_index_refresh(set_ids=instance.core_outcome_sets.values_list("pk", flat=True))


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
        from diseases.models import Condition, DiseaseArea
        from outcomes.models import CoreOutcomeSet

        m2m_changed.connect(
            _set_conditions_changed, sender=CoreOutcomeSet.conditions.through, dispatch_uid="search-set-conditions"
        )
        for model in (Condition, DiseaseArea):  # their sets are searched by them; the search form offers them
            post_save.connect(_set_grouping_saved, sender=model, dispatch_uid=f"search-{model.__name__}-saved")
            post_delete.connect(_search_data_changed, sender=model, dispatch_uid=f"search-{model.__name__}-deleted")
        # Register the Celery tasks in every process (web too), so the outbox can send them by name.
        from outcomes import tasks  # noqa: F401
