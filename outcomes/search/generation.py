"""What search reads on every query and changes rarely (the curators' synonyms, the index's vocabulary, how many
sets measure with each instrument), kept between queries and dropped when the index or the synonyms change.

A generation token in the shared cache changes whenever they may have: `search_generation_bump` is called by the
search index's maintenance (outcomes.services.search: every refresh and rebuild, which the version lifecycle
calls on publish and withdrawal) and by a change to a synonym (outcomes.signals). Each process keeps what it read
under the generation it read it in, so a query costs one cache read instead of reading the tables.

A search's whole answer (the search API's body, the search page's content) is a function of the request's
parameters, the language and what the generation covers, so it is kept in the shared cache under the generation too
(`remembered_answer`): a query asked again is answered without searching, and a publication, a withdrawal or a
curator's edit starts a new generation, so no answer outlives the data it was computed from.
SEARCH_RESULTS_CACHE_SECONDS bounds how long an answer is kept (0: never).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, transaction

from cos_registry.db_router import current_route

KEY = "cos:search:generation"
T = TypeVar("T")
_lock = threading.Lock()
_kept: dict[str, tuple[str, object]] = {}


def _new_token() -> str:
    """A unique token carrying when its generation began (seconds since the epoch), for `remembered_answer`."""
    return f"{uuid.uuid4().hex}-{time.time():.3f}"


def generation_age(token: str) -> float:
    """Seconds since the generation `token` began (infinite for a token that does not say)."""
    try:
        return time.time() - float(token.rpartition("-")[2])
    except ValueError:
        return float("inf")


def search_generation() -> str:
    """The current generation (a new one when the cache has none, e.g. after it was cleared)."""
    token = cache.get(KEY)
    if token is None:
        cache.add(KEY, _new_token(), None)
        token = cache.get(KEY) or _new_token()  # a cache that is down: nothing is kept
    return token


def search_generation_bump() -> None:
    """Start a new generation now, and again when the current transaction commits (a query in between may have
    read the old data under the new token)."""
    cache.set(KEY, _new_token(), None)
    transaction.on_commit(lambda: cache.set(KEY, _new_token(), None))


def kept(name: str, compute: Callable[[], T]) -> T:
    """`compute()`, remembered in this process for the current generation."""
    generation = search_generation()
    found = _kept.get(name)
    if found is not None and found[0] == generation:
        return found[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        _kept[name] = (generation, value)
    return value


def shared(name: str, compute: Callable[[], T], timeout: int) -> T:
    """`compute()`, remembered in the shared cache for the current generation (at most `timeout` seconds)."""
    return cache.get_or_set(f"cos:search:{name}:{search_generation()}", compute, timeout)


def remembered_answer(kind: str, parts: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, the answer of a search of `kind` ("api", "page") to the request described by `parts` (its
    parameters, language, address), remembered in the shared cache for the current generation.

    A request reading from a replica may not see a change for up to DATABASE_REPLICA_MAX_LAG_SECONDS after it was
    committed on the primary: in that long after a generation began, an answer computed there is not kept (it could
    be the answer from before the change, kept as the answer after it)."""
    seconds = settings.SEARCH_RESULTS_CACHE_SECONDS
    if seconds <= 0:
        return compute()
    generation = search_generation()
    if _reads_from_replica() and generation_age(generation) < settings.DATABASE_REPLICA_MAX_LAG_SECONDS:
        return compute()
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return cache.get_or_set(f"cos:search:answer:{kind}:{digest}:{generation}", compute, seconds)


def _reads_from_replica() -> bool:
    route = current_route()
    return route is not None and route.alias != DEFAULT_DB_ALIAS and not route.wrote
