"""Multi-row INSERT (and DELETE by id) for the two hot write paths (a round's ratings, a round's results).

bulk_create writes the same statements but builds and prepares a model instance per row, which was most of a round
submission's CPU and a third of a tally (docs/performance.md). Callers pass values the database driver takes as
they are (ints, bools, strings, Decimals, None) and prepare datetimes and JSON with the helpers below. The SQL is
the same on PostgreSQL and SQLite (3.24+ for ON CONFLICT).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model

# SQLite allows 32,766 parameters per statement; PostgreSQL 65,535.
MAX_PARAMS = 30_000


def db_datetime(value: dt.datetime) -> object:
    return connection.ops.adapt_datetimefield_value(value)


def db_json(value: object) -> str:
    return json.dumps(value)


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    conflict: Sequence[str] = (),
    update: Sequence[str] = (),
) -> None:
    """INSERT rows (tuples in the order of `columns`, database column names) in as few statements as allowed;
    with `conflict` and `update`, a row that meets an existing one on the `conflict` columns updates `update`."""
    if not rows:
        return
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES "  # noqa: S608
    tail = ""
    if conflict:
        assignments = ", ".join(f"{quote(c)} = EXCLUDED.{quote(c)}" for c in update)
        tail = f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {assignments}"
    row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, MAX_PARAMS // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            params = [value for row in batch for value in row]
            # Only quoted names and placeholders are formatted in; every value is a parameter.
            cursor.execute(head + ", ".join([row_sql] * len(batch)) + tail, params)


def rows_delete(model: type[Model], ids: Sequence[int]) -> None:
    """DELETE rows by primary key in as few statements as allowed, without QuerySet.delete()'s collector (which
    looks for related rows first): for callers that have already excluded every row something still refers to;
    the foreign keys refuse the rest."""
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), MAX_PARAMS):
            batch = ids[start : start + MAX_PARAMS]
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(batch))})", batch)  # noqa: S608
