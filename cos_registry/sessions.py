"""The database session engine, refusing session keys that Django could never have issued.

Django issues 32 characters of [a-z0-9]. Anything else (a forged cookie with a NUL byte, say, which PostgreSQL
refuses in a query) is treated as no session at all instead of reaching the database.
"""

from __future__ import annotations

import re

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

SESSION_KEY_RE = re.compile(r"^[a-z0-9]{8,40}$")


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(key) and SESSION_KEY_RE.match(key) is not None
