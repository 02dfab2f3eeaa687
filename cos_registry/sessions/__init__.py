"""Session engines that refuse session keys Django could never have issued.

Django issues 32 characters of [a-z0-9]. Anything else (a forged cookie with a NUL byte, say, which PostgreSQL
refuses in a query) is treated as no session at all instead of reaching the database or the cache.

Two engines share the rule: this module (sessions are rows in the database) and `cos_registry.sessions.cached_db`
(the same rows, read through the shared cache), which settings choose when REDIS_URL is set.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

SESSION_KEY_RE = re.compile(r"^[a-z0-9]{8,40}$")


class IssuedKeysOnly:
    """A session store mixin accepting only a session key Django could have issued."""

    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and SESSION_KEY_RE.match(key) is not None


class SessionStore(IssuedKeysOnly, DatabaseSessionStore):
    pass
