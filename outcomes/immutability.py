"""Published versions are immutable below the ORM: database triggers for PostgreSQL and SQLite.

The triggers refuse, whatever the client (ORM, bulk update(), raw SQL, admin, psql/sqlite3 shell):

- INSERT, UPDATE or DELETE of an outcome, an outcome-domain link, a measurement or a reference that belongs to a
  published, superseded or withdrawn version (an UPDATE is checked against the row's old AND new version, so a
  row cannot be moved into or out of a frozen version either);
- any change to a frozen version's content (set, number, publication date, changelog, derived_from, provenance),
  and any status change except the two legal ones: published -> superseded, and published -> withdrawn with a
  non-empty reason and a withdrawal time. `published_by` may only be cleared (when the user account is deleted);
- DELETE of a frozen version.

Every refusal's message starts with IMMUTABLE_MARKER, raised as an integrity error on both databases (PostgreSQL
ERRCODE restrict_violation, SQLite RAISE(ABORT)), so Django raises IntegrityError and the application turns it into a
clear message (`immutability_error_message`, `outcomes.services.versions.immutability_guard`).

A whole-database flush is not an edit: PostgreSQL's TRUNCATE skips row triggers; on SQLite, where Django's flush is a
DELETE per table, `allow_flush_on_sqlite` marks the flush inside its own transaction (a row in FLUSH_TABLE that the
DELETE triggers look for), so test teardown and `manage.py flush` keep working.
"""

from __future__ import annotations

from django.db import transaction

IMMUTABLE_MARKER = "COS-IMMUTABLE"
FROZEN = "('published', 'superseded', 'withdrawn')"
VERSION_TABLE = "outcomes_coreoutcomesetversion"
FLUSH_TABLE = "outcomes_immutability_flush"

# Columns of a frozen version that never change (null-safe comparison).
VERSION_CONTENT_COLUMNS = (
    "core_outcome_set_id",
    "version",
    "major",
    "minor",
    "patch",
    "published_on",
    "published_on_precision",
    "changelog",
    "derived_from_id",
    "is_correction",
    "published_at",
    "created_at",
)

# (table, trigger name stem, how to reach the version id from a row given OLD/NEW, message)
CHILD_TABLES = (
    (
        "outcomes_outcome",
        "outcome",
        "{row}.version_id",
        "the outcomes of a published, superseded or withdrawn version cannot be added, changed or deleted",
    ),
    (
        "outcomes_reference",
        "reference",
        "{row}.version_id",
        "the references of a published, superseded or withdrawn version cannot be added, changed or deleted",
    ),
    (
        "outcomes_measurement",
        "measurement",
        "(SELECT o.version_id FROM outcomes_outcome o WHERE o.id = {row}.outcome_id)",
        "the measurements of a published, superseded or withdrawn version cannot be added, changed or deleted",
    ),
    (
        "outcomes_outcome_domains",
        "outcome_domains",
        "(SELECT o.version_id FROM outcomes_outcome o WHERE o.id = {row}.outcome_id)",
        "the outcome domains of a published, superseded or withdrawn version cannot be added, changed or deleted",
    ),
)

VERSION_CONTENT_MESSAGE = (
    "a published, superseded or withdrawn version cannot change; only published -> superseded and "
    "published -> withdrawn (with a reason) are allowed"
)
VERSION_DELETE_MESSAGE = "a published, superseded or withdrawn version cannot be deleted"


def _version_change_allowed(same: str, columns: tuple[str, ...]) -> str:
    """SQL condition true when an UPDATE of a frozen version row is one of the legal transitions.

    `same` formats a null-safe equality for one column: 'NEW.{c} IS OLD.{c}' (SQLite) or IS NOT DISTINCT FROM (PG).
    """
    content = " AND ".join(same.format(c=column) for column in columns)
    withdrawal_kept = f"{same.format(c='withdrawn_at')} AND {same.format(c='withdrawn_reason')}"
    return (
        f"({content}"
        f" AND ({same.format(c='published_by_id')} OR NEW.published_by_id IS NULL)"
        f" AND ((NEW.status = OLD.status AND {withdrawal_kept})"
        f" OR (OLD.status = 'published' AND NEW.status = 'superseded' AND {withdrawal_kept})"
        f" OR (OLD.status = 'published' AND NEW.status = 'withdrawn' AND NEW.withdrawn_at IS NOT NULL"
        f" AND trim(NEW.withdrawn_reason) <> '')))"
    )


def _is_frozen(version_expr: str) -> str:
    return f"(SELECT v.status FROM {VERSION_TABLE} v WHERE v.id = {version_expr}) IN {FROZEN}"  # noqa: S608


# ---------------------------------------------------------------------------------------------------- PostgreSQL


def postgresql_install_sql(columns: tuple[str, ...] = VERSION_CONTENT_COLUMNS) -> list[str]:
    statements = []
    for table, stem, version_of, message in CHILD_TABLES:
        function = f"cos_immutable_{stem}"
        old_frozen = _is_frozen(version_of.format(row="OLD"))
        new_frozen = _is_frozen(version_of.format(row="NEW"))
        statements.append(
            f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND {old_frozen}) OR (TG_OP <> 'DELETE' AND {new_frozen}) THEN
        RAISE EXCEPTION '{IMMUTABLE_MARKER}: {message}' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS {function} ON {table};
CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""
        )
    allowed = _version_change_allowed("NEW.{c} IS NOT DISTINCT FROM OLD.{c}", columns)
    statements.append(
        f"""
CREATE OR REPLACE FUNCTION cos_immutable_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status IN {FROZEN} THEN
            RAISE EXCEPTION '{IMMUTABLE_MARKER}: {VERSION_DELETE_MESSAGE}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status IN {FROZEN} AND NOT {allowed} THEN
        RAISE EXCEPTION '{IMMUTABLE_MARKER}: {VERSION_CONTENT_MESSAGE}' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS cos_immutable_version ON {VERSION_TABLE};
CREATE TRIGGER cos_immutable_version BEFORE UPDATE OR DELETE ON {VERSION_TABLE}
    FOR EACH ROW EXECUTE FUNCTION cos_immutable_version();
"""
    )
    return statements


def postgresql_remove_sql() -> list[str]:
    statements = [f"DROP TRIGGER IF EXISTS cos_immutable_version ON {VERSION_TABLE};"]
    statements.append("DROP FUNCTION IF EXISTS cos_immutable_version();")
    for table, stem, _, _ in CHILD_TABLES:
        statements.append(f"DROP TRIGGER IF EXISTS cos_immutable_{stem} ON {table};")
        statements.append(f"DROP FUNCTION IF EXISTS cos_immutable_{stem}();")
    return statements


# -------------------------------------------------------------------------------------------------------- SQLite


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {when} ON {table} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MARKER}: {message}'); END;"
    )


def sqlite_install_sql(columns: tuple[str, ...] = VERSION_CONTENT_COLUMNS) -> list[str]:
    not_flushing = f"NOT EXISTS (SELECT 1 FROM {FLUSH_TABLE})"  # noqa: S608 - constant table name
    statements = [f"CREATE TABLE IF NOT EXISTS {FLUSH_TABLE} (flushing integer NOT NULL);"]
    for table, stem, version_of, message in CHILD_TABLES:
        old_frozen = _is_frozen(version_of.format(row="OLD"))
        new_frozen = _is_frozen(version_of.format(row="NEW"))
        statements += [
            _sqlite_trigger(f"cos_immutable_{stem}_insert", "INSERT", table, new_frozen, message),
            _sqlite_trigger(f"cos_immutable_{stem}_update", "UPDATE", table, f"{old_frozen} OR {new_frozen}", message),
            _sqlite_trigger(
                f"cos_immutable_{stem}_delete", "DELETE", table, f"{old_frozen} AND {not_flushing}", message
            ),
        ]
    allowed = _version_change_allowed("NEW.{c} IS OLD.{c}", columns)
    statements += [
        _sqlite_trigger(
            "cos_immutable_version_update",
            "UPDATE",
            VERSION_TABLE,
            f"OLD.status IN {FROZEN} AND NOT {allowed}",
            VERSION_CONTENT_MESSAGE,
        ),
        _sqlite_trigger(
            "cos_immutable_version_delete",
            "DELETE",
            VERSION_TABLE,
            f"OLD.status IN {FROZEN} AND {not_flushing}",
            VERSION_DELETE_MESSAGE,
        ),
    ]
    return statements


def sqlite_remove_sql(*, drop_flush_table: bool = False) -> list[str]:
    """Drop the triggers; the flush marker table stays unless asked (the audit triggers look at it too)."""
    names = ["cos_immutable_version_update", "cos_immutable_version_delete"]
    for _, stem, _, _ in CHILD_TABLES:
        names += [f"cos_immutable_{stem}_{op}" for op in ("insert", "update", "delete")]
    statements = [f"DROP TRIGGER IF EXISTS {name};" for name in names]
    return [*statements, f"DROP TABLE IF EXISTS {FLUSH_TABLE};"] if drop_flush_table else statements


def _statements(
    vendor: str,
    *,
    remove: bool = False,
    columns: tuple[str, ...] = VERSION_CONTENT_COLUMNS,
    drop_flush_table: bool = True,
) -> list[str]:
    if vendor == "postgresql":
        return postgresql_remove_sql() if remove else postgresql_install_sql(columns)
    if vendor == "sqlite":
        return sqlite_remove_sql(drop_flush_table=drop_flush_table) if remove else sqlite_install_sql(columns)
    raise NotImplementedError(f"No immutability triggers for database vendor {vendor!r}")  # pragma: no cover


def _present_content_columns(connection) -> tuple[str, ...]:
    """The content columns the version table has now: migration 0003 installs the triggers before later migrations
    add columns (the migration that adds is_correction re-installs them)."""
    with connection.cursor() as cursor:
        present = {column.name for column in connection.introspection.get_table_description(cursor, VERSION_TABLE)}
    return tuple(column for column in VERSION_CONTENT_COLUMNS if column in present)


def install(connection) -> None:
    """Create (or re-create) the triggers; idempotent on both databases."""
    columns = _present_content_columns(connection)
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, columns=columns):
            cursor.execute(sql)


def remove(connection, *, drop_flush_table: bool = True) -> None:
    """Drop the triggers; `drop_flush_table=False` keeps SQLite's flush marker table, which the audit triggers
    read, for a migration that takes the triggers out of the way only while it rebuilds a table."""
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, remove=True, drop_flush_table=drop_flush_table):
            cursor.execute(sql)


def immutability_error_message(exc: BaseException) -> str | None:
    """The readable refusal carried by a trigger's database error, or None when `exc` is another error."""
    text = str(exc)
    if IMMUTABLE_MARKER not in text:
        return None
    message = text[text.index(IMMUTABLE_MARKER) + len(IMMUTABLE_MARKER) :].lstrip(": ").splitlines()[0]
    return f"Refused: {message[:1].upper()}{message[1:]}."


def allow_flush_on_sqlite() -> None:
    """Let Django's SQLite flush (DELETE FROM every table) empty frozen versions too; see the module docstring.

    Wraps the SQLite backend's `execute_sql_flush` once: inside the flush's transaction a row in FLUSH_TABLE
    tells the DELETE triggers that this is a full flush; the row is gone again before the transaction commits,
    so no other connection ever sees it.
    """
    from django.conf import settings

    if not any(db["ENGINE"] == "django.db.backends.sqlite3" for db in settings.DATABASES.values()):
        return
    from django.db.backends.sqlite3 import base  # imports the backend in the order it expects

    DatabaseOperations = base.DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    if getattr(original, "cos_allows_flush", False):
        return

    def execute_sql_flush(self, sql_list):
        with transaction.atomic(using=self.connection.alias):
            marked = FLUSH_TABLE in self.connection.introspection.table_names()
            if marked:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {FLUSH_TABLE} (flushing) VALUES (1)")  # noqa: S608
            original(self, sql_list)
            if marked:
                with self.connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {FLUSH_TABLE}")  # noqa: S608

    execute_sql_flush.cos_allows_flush = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush
