from __future__ import annotations

import re

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class StrictTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing malformed keys before they reach the database."""

    def authenticate_credentials(self, key: str) -> tuple:
        if not TOKEN_RE.match(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)
