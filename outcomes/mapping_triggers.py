"""Reviewed concept set revisions are immutable below the ORM: database triggers for PostgreSQL and SQLite.

Like the version triggers (outcomes/immutability.py, whose IMMUTABLE_MARKER the refusals share, so
`immutability_guard` turns them into a readable message) they refuse, whatever the client:

- any change to a reviewed revision's content (outcome, set, number, status, flags, window, note, who proposed it,
  when it was proposed and reviewed); `proposed_by` and `reviewed_by` may only be cleared (a deleted account);
- DELETE of a reviewed revision;
- INSERT, UPDATE or DELETE of an item of a reviewed revision (an UPDATE is checked against the old and new
  revision, so an item cannot be moved into or out of one).

Reviewing (proposed -> reviewed, with a review time) is the one change a proposed revision's status may make.
A whole-database flush is not an edit (see outcomes/immutability.py).
"""

from __future__ import annotations

from outcomes.immutability import FLUSH_TABLE, IMMUTABLE_MARKER

REVISION_TABLE = "outcomes_conceptsetrevision"
ITEM_TABLE = "outcomes_conceptsetitem"
REVISION_CONTENT_COLUMNS = (
    "outcome_identity",
    "core_outcome_set_id",
    "number",
    "status",
    "counts_all_deaths",
    "window_start_day",
    "window_end_day",
    "note",
    "proposed_at",
    "reviewed_at",
)
REVISION_MESSAGE = "a reviewed concept set revision cannot change or be deleted; propose a new revision"
ITEM_MESSAGE = "the items of a reviewed concept set revision cannot be added, changed or deleted"
BACK_MESSAGE = "a concept set revision is reviewed once and stays reviewed"


def _unchanged(same: str) -> str:
    content = " AND ".join(same.format(c=column) for column in REVISION_CONTENT_COLUMNS)
    people = " AND ".join(f"({same.format(c=c)} OR NEW.{c} IS NULL)" for c in ("proposed_by_id", "reviewed_by_id"))
    return f"({content} AND {people})"


def _reviewed(revision_expr: str) -> str:
    return f"(SELECT r.status FROM {REVISION_TABLE} r WHERE r.id = {revision_expr}) = 'reviewed'"  # noqa: S608


def postgresql_install_sql() -> list[str]:
    unchanged = _unchanged("NEW.{c} IS NOT DISTINCT FROM OLD.{c}")
    return [
        f"""
CREATE OR REPLACE FUNCTION cos_reviewed_conceptset() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status = 'reviewed' THEN
            RAISE EXCEPTION '{IMMUTABLE_MARKER}: {REVISION_MESSAGE}' USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'reviewed' AND NOT {unchanged} THEN
        RAISE EXCEPTION '{IMMUTABLE_MARKER}: {REVISION_MESSAGE}' USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS cos_reviewed_conceptset ON {REVISION_TABLE};
CREATE TRIGGER cos_reviewed_conceptset BEFORE UPDATE OR DELETE ON {REVISION_TABLE}
    FOR EACH ROW EXECUTE FUNCTION cos_reviewed_conceptset();
""",
        f"""
CREATE OR REPLACE FUNCTION cos_reviewed_conceptsetitem() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP <> 'INSERT' AND {_reviewed("OLD.revision_id")})
        OR (TG_OP <> 'DELETE' AND {_reviewed("NEW.revision_id")}) THEN
        RAISE EXCEPTION '{IMMUTABLE_MARKER}: {ITEM_MESSAGE}' USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS cos_reviewed_conceptsetitem ON {ITEM_TABLE};
CREATE TRIGGER cos_reviewed_conceptsetitem BEFORE INSERT OR UPDATE OR DELETE ON {ITEM_TABLE}
    FOR EACH ROW EXECUTE FUNCTION cos_reviewed_conceptsetitem();
""",
    ]


def postgresql_remove_sql() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS cos_reviewed_conceptset ON {REVISION_TABLE};",
        "DROP FUNCTION IF EXISTS cos_reviewed_conceptset();",
        f"DROP TRIGGER IF EXISTS cos_reviewed_conceptsetitem ON {ITEM_TABLE};",
        "DROP FUNCTION IF EXISTS cos_reviewed_conceptsetitem();",
    ]


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (
        f"CREATE TRIGGER IF NOT EXISTS {name} BEFORE {when} ON {table} FOR EACH ROW WHEN {condition} "
        f"BEGIN SELECT RAISE(ABORT, '{IMMUTABLE_MARKER}: {message}'); END;"
    )


SQLITE_TRIGGERS = (
    "cos_reviewed_conceptset_update",
    "cos_reviewed_conceptset_delete",
    "cos_reviewed_conceptsetitem_insert",
    "cos_reviewed_conceptsetitem_update",
    "cos_reviewed_conceptsetitem_delete",
)


def sqlite_install_sql() -> list[str]:
    not_flushing = f"NOT EXISTS (SELECT 1 FROM {FLUSH_TABLE})"  # noqa: S608 - constant table name
    old_reviewed, new_reviewed = _reviewed("OLD.revision_id"), _reviewed("NEW.revision_id")
    return [
        f"CREATE TABLE IF NOT EXISTS {FLUSH_TABLE} (flushing integer NOT NULL);",
        _sqlite_trigger(
            SQLITE_TRIGGERS[0],
            "UPDATE",
            REVISION_TABLE,
            f"OLD.status = 'reviewed' AND NOT {_unchanged('NEW.{c} IS OLD.{c}')}",
            REVISION_MESSAGE,
        ),
        _sqlite_trigger(
            SQLITE_TRIGGERS[1],
            "DELETE",
            REVISION_TABLE,
            f"OLD.status = 'reviewed' AND {not_flushing}",
            REVISION_MESSAGE,
        ),
        _sqlite_trigger(SQLITE_TRIGGERS[2], "INSERT", ITEM_TABLE, new_reviewed, ITEM_MESSAGE),
        _sqlite_trigger(SQLITE_TRIGGERS[3], "UPDATE", ITEM_TABLE, f"{old_reviewed} OR {new_reviewed}", ITEM_MESSAGE),
        _sqlite_trigger(SQLITE_TRIGGERS[4], "DELETE", ITEM_TABLE, f"{old_reviewed} AND {not_flushing}", ITEM_MESSAGE),
    ]


def sqlite_remove_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name};" for name in SQLITE_TRIGGERS]


def mapping_triggers_install(connection) -> None:
    """Create (or re-create) the triggers; idempotent on both databases."""
    statements = {"postgresql": postgresql_install_sql, "sqlite": sqlite_install_sql}[connection.vendor]()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def mapping_triggers_remove(connection) -> None:
    statements = {"postgresql": postgresql_remove_sql, "sqlite": sqlite_remove_sql}[connection.vendor]()
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
