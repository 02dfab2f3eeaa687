"""Read replicas: which database answers a read.

Everything uses the primary ("default") unless a request was found to be a public read
(outcomes.middleware.ReplicaReadsMiddleware) and a replica is healthy: then that request's reads go to the replica.
Even then the primary answers every write, every read inside a transaction (`atomic`: a read that decides a write
must see the primary), and every read after the request's first write. Celery tasks, management commands and the
shell never enter a public read, so they read from the primary.

A replica is healthy when it answers, is in recovery (a promoted replica is a fork, not a copy) and is close enough
to the primary. Its staleness is bounded, not guessed: the check reads the primary's WAL position first, then asks
the replica whether it has replayed that far. If it has, everything committed before the check is on the replica;
if not, the time since its last replayed commit bounds what it misses. Between checks staleness can only grow by
the time elapsed, so a replica is used only while lag + DATABASE_REPLICA_CHECK_SECONDS stays within
DATABASE_REPLICA_MAX_LAG_SECONDS: no read is ever staler than that bound.
"""

from __future__ import annotations

import contextvars
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA_PREFIX = "replica_"


@dataclass
class Route:
    """The read database of the current request; `wrote` once it has written (its reads return to the primary)."""

    alias: str
    wrote: bool = False


_route: contextvars.ContextVar[Route | None] = contextvars.ContextVar("cos_read_route", default=None)


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)]


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str:
        route = _route.get()
        if route is None or route.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return route.alias

    def db_for_write(self, model, **hints) -> str:
        route = _route.get()
        if route is not None:
            route.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # replicas are copies of the primary: every row lives in one database

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


@contextmanager
def reads_from(alias: str) -> Iterator[Route]:
    """Send the reads of the enclosed code to `alias` (the rules above still apply)."""
    route = Route(alias)
    token = _route.set(route)
    try:
        yield route
    finally:
        _route.reset(token)


def current_route() -> Route | None:
    return _route.get()


# --- health -----------------------------------------------------------------------------------------------------


@dataclass
class Health:
    checked_at: float
    usable: bool
    lag: float | None  # seconds; None when unknown
    reason: str


_health: dict[str, Health] = {}
_health_lock = threading.Lock()

LAG_SQL = """
SELECT pg_is_in_recovery(),
       pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
"""


def replica_lag(alias: str) -> tuple[float | None, str]:
    """The replica's staleness bound in seconds (None: unusable), and why."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        primary_lsn = cursor.fetchone()[0]
    with connections[alias].cursor() as cursor:
        cursor.execute(LAG_SQL, [primary_lsn])
        in_recovery, behind_bytes, since_replay = cursor.fetchone()
    if not in_recovery:
        return None, "not in recovery (promoted, or not a replica)"
    if behind_bytes is not None and behind_bytes <= 0:
        return 0.0, "caught up"
    if since_replay is None:
        return None, "behind the primary and has replayed no transaction yet"
    return float(since_replay), f"{behind_bytes:.0f} bytes behind the primary"


def _check(alias: str) -> Health:
    try:
        lag, reason = replica_lag(alias)
    except Exception as exc:  # psycopg raises several types for a replica that is down or restarting
        connections[alias].close()
        return Health(time.monotonic(), False, None, f"unreachable: {str(exc).strip().splitlines()[0]}")
    budget = settings.DATABASE_REPLICA_MAX_LAG_SECONDS - settings.DATABASE_REPLICA_CHECK_SECONDS
    if lag is None:
        return Health(time.monotonic(), False, None, reason)
    if lag > budget:
        return Health(time.monotonic(), False, lag, f"lagging {lag:.1f} s ({reason}), bound {budget} s")
    return Health(time.monotonic(), True, lag, reason)


def replica_health(alias: str) -> Health:
    """The alias' health, checked again once the last check is DATABASE_REPLICA_CHECK_SECONDS old."""
    with _health_lock:
        known = _health.get(alias)
    if known is not None and time.monotonic() - known.checked_at < settings.DATABASE_REPLICA_CHECK_SECONDS:
        return known
    health = _check(alias)
    with _health_lock:
        previous = _health.get(alias)
        _health[alias] = health
    if not health.usable and (previous is None or previous.usable):
        logger.warning("Read replica %s skipped: %s", alias, health.reason)
    elif health.usable and previous is not None and not previous.usable:
        logger.info("Read replica %s back in use: %s", alias, health.reason)
    return health


def replica_failed(alias: str, exc: Exception) -> None:
    """A query on the replica failed mid-request: skip it until its next check."""
    connections[alias].close()
    with _health_lock:
        _health[alias] = Health(time.monotonic(), False, None, f"failed: {str(exc).strip().splitlines()[0]}")
    logger.warning("Read replica %s failed during a request, retrying on the primary: %s", alias, exc)


def replica_health_forget() -> None:
    """Forget every check (tests, after changing a replica's state)."""
    with _health_lock:
        _health.clear()


def healthy_replica() -> str | None:
    """A usable replica chosen at random (spreading the load), or None: read from the primary."""
    usable = [alias for alias in replica_aliases() if replica_health(alias).usable]
    return random.choice(usable) if usable else None
