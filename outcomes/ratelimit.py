"""Rate limits on the Django cache: N attempts per client IP per window, then 429 with a clear message.

    @ratelimit(group="login", rate=settings.LOGIN_RATE_LIMIT)   # "10/m": 10 attempts per minute
    def login(request): ...

A fixed window per (group, client IP): simple, shared by every web process through Redis, and cheap (one cache
`add` or `incr` per attempt). Only the listed methods count (POST by default: viewing a form is free).
When the cache is away (Redis down) the limit fails open: people can still sign in (docs/security.md).
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from outcomes.api.errors import error_payload

_PERIODS = {"s": 1, "m": 60, "h": 3600}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*([smh])\w*\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/m' -> (10, 60)."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"A rate looks like '10/m' (per s, m or h), got {rate!r}")
    return int(match.group(1)), _PERIODS[match.group(2)]


def client_ip(request: HttpRequest) -> str:
    header = settings.RATELIMIT_IP_HEADER
    if header and request.META.get(header):
        # A proxy header may hold a list ("client, proxy1, proxy2"): the first entry is the client.
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "")


def attempt_count(*, group: str, key: str, period: int) -> int:
    """Count one attempt in the current window; return the attempts so far (1 if the cache is away)."""
    window = int(time.time() // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"ratelimit:{group}:{digest}:{window}"
    if cache.add(cache_key, 1, timeout=period + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is away
        return 1


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    message = f"Too many attempts from your address. Please wait {retry_after} seconds and try again."
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            error_payload(status_code=429, code="throttled", message=message), status=429
        )
    else:
        response = HttpResponse(render_to_string("errors/429.html", {"message": message}, request), status=429)
    response["Retry-After"] = str(retry_after)
    return response


def ratelimit(*, group: str, rate: str, methods: Iterable[str] = ("POST",)) -> Callable:
    """Decorate a view: more than `rate` requests (of `methods`) from one client IP answer 429."""
    limit, period = parse_rate(rate)
    counted = {m.upper() for m in methods}

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            counts = request.method in counted
            if counts and attempt_count(group=group, key=client_ip(request), period=period) > limit:
                return too_many_requests(request, retry_after=period - int(time.time()) % period)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
