"""Backup and restore of the whole registry as one file (Django's dumpdata/loaddata, natural keys).

The format is Django's XML serialization: unlike its JSON encoder, which cuts timestamps to milliseconds, it
keeps every value exactly, so a restored registry is identical to the saved one (tests/outcomes/test_backup.py).

What is saved: users and groups (with their permissions by natural key), API tokens, disease areas, every
set, version, outcome, consensus process, rating and the audit log. Not saved: sessions (people sign in again)
and content types/permissions (recreated by `migrate`), and the set search index (derived data, rebuilt by
the restore). For a large production database prefer the pg_dump recipe in docs/deploy.md; this file format
is database-independent (SQLite <-> PostgreSQL).
"""

from __future__ import annotations

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from diseases.models import DiseaseArea
from outcomes import immutability, mapping_triggers
from outcomes.models import AuditEvent, CoreOutcomeSet
from outcomes.services.search import set_search_index_rebuild

BACKUP_LABELS = ("auth.group", "auth.user", "authtoken", "diseases", "outcomes")
# Derived from the rest (outcomes/services/search.py): rebuilt after a restore instead of saved. The OMOP
# vocabulary is not the registry's data either: it is licensed per user and loaded again from its Athena download.
BACKUP_EXCLUDE = (
    "outcomes.SetSearchIndex",
    "outcomes.SearchWord",
    "outcomes.OmopVocabulary",
    "outcomes.OmopConcept",
    "outcomes.OmopConceptRelationship",
    "outcomes.OmopConceptAncestor",
)


COMPRESSIONS = ("", ".gz", ".bz2", ".xz", ".lzma")


def _check_name(path: Path) -> None:
    if not any(path.name.endswith(f".xml{suffix}") for suffix in COMPRESSIONS):
        raise ValidationError(
            {"path": f"A registry backup is an .xml file (or .xml.gz, .xml.xz, ...), got {path.name}."}
        )


def registry_backup_write(*, path: Path) -> Path:
    """Write the backup to `path` (registry.xml, compressed when it ends in .gz, .bz2, .xz or .lzma).

    Written to a hidden file next to it and renamed into place, so `path` is either the previous complete
    backup or the new complete one, never half a file (a worker killed mid-backup leaves no torn file).
    """
    path = Path(path)
    _check_name(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}")
    call_command(
        "dumpdata",
        *BACKUP_LABELS,
        natural_foreign=True,
        natural_primary=False,
        exclude=list(BACKUP_EXCLUDE),
        format="xml",
        output=str(partial),
        verbosity=0,
    )
    os.chmod(partial, 0o600)  # password hashes and API tokens
    os.replace(partial, path)
    return path


def registry_is_empty() -> bool:
    return not (
        DiseaseArea.objects.exists()
        or CoreOutcomeSet.objects.exists()
        or AuditEvent.objects.exists()
        or get_user_model().objects.exists()
    )


def registry_restore(*, path: Path) -> None:
    """Load a backup into an empty, migrated database (one transaction: all or nothing).

    Refuses a database that already holds registry data: loaddata would overwrite rows with the same ids, and
    the append-only audit log cannot be overwritten.
    """
    path = Path(path)
    _check_name(path)
    if not path.is_file():
        raise ValidationError({"path": f"No backup file at {path}."})
    if not registry_is_empty():
        raise ValidationError(
            {"database": "The database already holds registry data: restore into a new, migrated database."}
        )
    with transaction.atomic():
        # Loading a published version's outcomes is not an edit: the immutability triggers stand aside for the
        # load and are back before the transaction commits (DDL is transactional on PostgreSQL and SQLite).
        _run(immutability_sql(connection, install=False))
        call_command("loaddata", str(path), verbosity=0)
        _run(immutability_sql(connection, install=True))
        # The search index is derived data, not in the backup: recomputed from what was restored.
        set_search_index_rebuild()


def immutability_sql(connection: BaseDatabaseWrapper, *, install: bool) -> list[str]:
    """The version and reviewed concept set triggers (outcomes/immutability.py, outcomes/mapping_triggers.py)."""
    if connection.vendor == "postgresql":
        if install:
            return immutability.postgresql_install_sql() + mapping_triggers.postgresql_install_sql()
        return immutability.postgresql_remove_sql() + mapping_triggers.postgresql_remove_sql()
    if install:
        return immutability.sqlite_install_sql() + mapping_triggers.sqlite_install_sql()
    return immutability.sqlite_remove_sql() + mapping_triggers.sqlite_remove_sql()


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
