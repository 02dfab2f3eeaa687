"""How API clients authenticate: DRF tokens (checked for format first) and a panelist's personal-link token
(`Authorization: Panelist <token>`), with the limits that keep both from being guessed."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, TokenAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from outcomes.models import Panelist
from outcomes.ratelimit import attempt_count, attempts_so_far, client_ip, parse_rate, seconds_left
from outcomes.services import consensus as svc

TOKEN_RE = re.compile(r"^[0-9a-f]{40}$")


class StrictTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing malformed keys before they reach the database."""

    def authenticate_credentials(self, key: str) -> tuple:
        if not TOKEN_RE.match(key):
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


class PanelistTokenAuthentication(BaseAuthentication):
    """`Authorization: Panelist <token>`: the token of the personal link. request.auth is the Panelist."""

    keyword = b"panelist"

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        # Token guessing: after PANEL_API_AUTH_RATE_LIMIT failures from one client IP in a window, every attempt
        # (even a right token) answers 429 until the window ends. Only failures count: panelists are not limited.
        limit, period = parse_rate(settings.PANEL_API_AUTH_RATE_LIMIT)
        client = client_ip(request)
        if attempts_so_far(group="panel-api-auth", key=client, period=period) >= limit:
            raise exceptions.Throttled(wait=seconds_left(period))
        try:
            if len(parts) != 2:
                raise svc.PanelistTokenError("Send 'Authorization: Panelist <token>'.")
            panelist = svc.panelist_authenticate(token=parts[1].decode())
        except (svc.PanelistTokenError, UnicodeDecodeError) as exc:
            attempt_count(group="panel-api-auth", key=client, period=period)
            raise exceptions.AuthenticationFailed(str(exc)) from None
        return AnonymousUser(), panelist

    def authenticate_header(self, request: Request) -> str:
        return "Panelist"


class PanelistTokenScheme(OpenApiAuthenticationExtension):
    target_class = "outcomes.api.authentication.PanelistTokenAuthentication"
    name = "panelistToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The personal link's token, prefixed with 'Panelist ': `Panelist <token>`.",
        }


class PanelistThrottle(SimpleRateThrottle):
    """Per panelist (not per IP: a whole panel may sit behind one hospital proxy)."""

    rate = "300/minute"

    def get_cache_key(self, request: Request, view) -> str | None:
        if isinstance(request.auth, Panelist):
            return f"throttle_panelist_{request.auth.pk}"
        return self.get_ident(request)


class DataSourceTokenAuthentication(BaseAuthentication):
    """`Authorization: DataSource <token>`: a data source's upload token (docs/network.md). request.auth is the
    DataSource; there is no user. Failures count towards the same per-IP limit as panelist tokens."""

    keyword = b"datasource"

    def authenticate(self, request: Request):
        from outcomes.services.network import data_source_authenticate

        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        limit, period = parse_rate(settings.PANEL_API_AUTH_RATE_LIMIT)
        client = client_ip(request)
        if attempts_so_far(group="datasource-api-auth", key=client, period=period) >= limit:
            raise exceptions.Throttled(wait=seconds_left(period))
        source = None
        if len(parts) == 2:
            try:
                source = data_source_authenticate(token=parts[1].decode())
            except UnicodeDecodeError:
                source = None
        if source is None:
            attempt_count(group="datasource-api-auth", key=client, period=period)
            raise exceptions.AuthenticationFailed("Unknown or rotated data source token.")
        return AnonymousUser(), source

    def authenticate_header(self, request: Request) -> str:
        return "DataSource"


class DataSourceTokenScheme(OpenApiAuthenticationExtension):
    target_class = "outcomes.api.authentication.DataSourceTokenAuthentication"
    name = "dataSourceToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A data source's upload token, prefixed with 'DataSource ': `DataSource <token>`.",
        }
