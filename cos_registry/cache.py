"""A Redis cache that degrades instead of failing when Redis is away.

The cache only ever speeds things up (and counts rate-limit attempts), so a Redis outage must not turn pages and
API responses into 500s: every call that cannot reach Redis logs a warning and answers as a cache miss (reads
return the default, writes do nothing, `incr` raises ValueError as for a missing key). After a failure the
backend stops trying for `RETRY_AFTER_SECONDS` (a small circuit breaker), so a request does not wait for one
connect timeout per cache call.

`MAX_TIMEOUT` (seconds; none by default) caps the lifetime of every entry, whatever timeout its caller asks for.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError, OSError)


class CacheUnavailable(Exception):
    pass


def _tolerant(miss: Any):
    """Run the wrapped call against Redis; answer `miss` (or raise it, if it is an exception) when Redis is away."""

    def decorator(method):
        @functools.wraps(method)
        def wrapper(self: FaultTolerantRedisCache, *args, **kwargs):
            try:
                if time.monotonic() < self._down_until:
                    raise CacheUnavailable("Redis marked unavailable")
                return method(self, *args, **kwargs)
            except (CacheUnavailable, *UNAVAILABLE) as exc:
                if not isinstance(exc, CacheUnavailable):
                    self._down_until = time.monotonic() + self._retry_after
                    logger.warning("Cache unavailable, %s answered as a miss: %s", method.__name__, exc)
                if isinstance(miss, type) and issubclass(miss, Exception):
                    raise miss(f"cache unavailable: {exc}") from None
                return miss() if callable(miss) else miss

        return wrapper

    return decorator


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool instead of building one (with its
    table of ~80 response callbacks) for every cache call. A `redis.Redis` is safe to share between threads: each
    command takes a connection from the pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._clients.setdefault(index, self._client(connection_pool=self._get_connection_pool(write)))
        return client


class FaultTolerantRedisCache(RedisCache):
    def __init__(self, server, params: dict) -> None:
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        self._retry_after = float(params.get("RETRY_AFTER_SECONDS", 2))
        self._down_until = 0.0
        self._max_timeout = params.get("MAX_TIMEOUT")

    def get_backend_timeout(self, timeout=DEFAULT_TIMEOUT) -> int | None:
        seconds = super().get_backend_timeout(timeout)
        if self._max_timeout is None:
            return seconds
        return self._max_timeout if seconds is None else min(seconds, self._max_timeout)

    @_tolerant(False)
    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().add(key, value, timeout, version)

    @_tolerant(None)
    def _get(self, key, default, version):
        return super().get(key, default, version)

    def get(self, key, default=None, version=None):
        value = self._get(key, default, version)
        return default if value is None else value

    @_tolerant(None)
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set(key, value, timeout, version)

    @_tolerant(False)
    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return super().touch(key, timeout, version)

    @_tolerant(False)
    def delete(self, key, version=None):
        return super().delete(key, version)

    @_tolerant(dict)
    def get_many(self, keys, version=None):
        return super().get_many(keys, version)

    @_tolerant(False)
    def has_key(self, key, version=None):
        return super().has_key(key, version)

    @_tolerant(ValueError)
    def incr(self, key, delta=1, version=None):
        return super().incr(key, delta, version)

    @_tolerant(list)
    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return super().set_many(data, timeout, version)

    @_tolerant(None)
    def delete_many(self, keys, version=None):
        return super().delete_many(keys, version)

    @_tolerant(False)
    def clear(self):
        return super().clear()
