"""Database triggers that make the audit log append-only below the ORM.

Any UPDATE or DELETE of outcomes_auditevent, whether from Django, a raw cursor or psql, is refused with an
integrity error. The SQL differs by vendor; the migration `0004_auditevent_append_only` installs it, and
`OutcomesConfig` puts it back after every migrate (SQLite drops a table's triggers when a migration rebuilds it).

A whole-database flush is not an edit (as for the version immutability triggers, outcomes/immutability.py):
- PostgreSQL's TRUNCATE does not fire row triggers, so Django's `flush` (test teardown) works. In production the
  application's database role should not own the table, so it cannot TRUNCATE it (docs/security.md).
- On SQLite the DELETE trigger stands aside while `allow_flush_on_sqlite` marks a flush in its own transaction.
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from outcomes.immutability import FLUSH_TABLE

TABLE = "outcomes_auditevent"
REFUSAL = "outcomes_auditevent is append-only"

_POSTGRES_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_refuse_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{REFUSAL}: % refused', TG_OP USING ERRCODE = 'restrict_violation';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"""
    CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_refuse_change()
    """,
]
_POSTGRES_REMOVE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    f"DROP FUNCTION IF EXISTS {TABLE}_refuse_change()",
]
# RAISE(ABORT) surfaces as an IntegrityError, like PostgreSQL's restrict_violation.
_SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    WHEN NOT EXISTS (SELECT 1 FROM {FLUSH_TABLE})
    BEGIN SELECT RAISE(ABORT, '{REFUSAL}: DELETE refused'); END
    """,  # noqa: S608 - constant names
]
_SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_update", f"DROP TRIGGER IF EXISTS {TABLE}_no_delete"]

_SQL = {
    "postgresql": (_POSTGRES_INSTALL, _POSTGRES_REMOVE),
    "sqlite": (_SQLITE_INSTALL, _SQLITE_REMOVE),
}


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def audit_triggers_install(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor not in _SQL:
        raise NotImplementedError(f"No append-only audit triggers for database vendor {connection.vendor!r}")
    _run(connection, _SQL[connection.vendor][0])


def audit_triggers_remove(connection: BaseDatabaseWrapper) -> None:
    if connection.vendor in _SQL:
        _run(connection, _SQL[connection.vendor][1])


def audit_triggers_present(connection: BaseDatabaseWrapper) -> set[str]:
    """Names of the append-only triggers present on the audit table."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        return {row[0] for row in cursor.fetchall()}
