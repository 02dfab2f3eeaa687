"""Sessions read through the shared cache (Redis) and kept in the database: Django's cached_db engine.

A request reads its session from the cache, and from the database only on a miss; a save writes the database, then
the cache; a sign-out deletes both, so every app server sees it at its next request. With Redis away the cache
(`cos_registry.cache.FaultTolerantRedisCache`) answers misses and ignores writes: sessions are read from the
database and nobody is signed out. Settings give the cache entries a short lifetime (`SESSION_CACHE_ALIAS`): a
save or a sign-out that could not reach Redis leaves a stale entry behind, which must not outlive it by weeks.
"""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore

from cos_registry.sessions import IssuedKeysOnly


class SessionStore(IssuedKeysOnly, CachedDatabaseSessionStore):
    pass
