"""Rate limits on the Django cache: N attempts per client IP per window, then 429 with a clear message.
The API's anonymous throttle (`AnonRateThrottle`, below) counts the same way.

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
from rest_framework import throttling

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


def _cache_key(*, group: str, key: str, period: int) -> str:
    window = int(time.time() // period)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"ratelimit:{group}:{digest}:{window}"


def attempts_so_far(*, group: str, key: str, period: int) -> int:
    """The attempts counted in the current window, without counting one (0 if the cache is away)."""
    return int(cache.get(_cache_key(group=group, key=key, period=period)) or 0)


def seconds_left(period: int) -> int:
    """Until the current window ends (the Retry-After of a 429)."""
    return period - int(time.time()) % period


def attempt_count(*, group: str, key: str, period: int) -> int:
    """Count one attempt in the current window; return the attempts so far (1 if the cache is away).

    Atomic across processes: `add` creates the counter once (SET NX on Redis) and `incr` adds to it (INCR), so
    concurrent attempts in several gunicorn workers are all counted."""
    cache_key = _cache_key(group=group, key=key, period=period)
    if cache.add(cache_key, 1, timeout=period + 1):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr, or the cache is away
        return 1


def too_many_requests(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    # Imported here: outcomes.api.errors imports DRF's views, which import the throttle class below.
    from outcomes.api.errors import error_payload

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
                return too_many_requests(request, retry_after=seconds_left(period))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class AnonRateThrottle(throttling.AnonRateThrottle):
    """The API's anonymous throttle (`API_ANON_THROTTLE`), counted like the limits above: a fixed window per client
    IP (`client_ip`: REMOTE_ADDR, or RATELIMIT_IP_HEADER behind a proxy) with an atomic counter in the shared cache.

    DRF's own keeps a list of request times per client in the cache and reads, appends and writes it back: requests
    running at the same time in several gunicorn workers overwrite each other's entries and go uncounted (689 of 700
    got through a 600/minute limit). Signed-in users are not throttled here.
    """

    def allow_request(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        self.retry_after = seconds_left(self.duration)
        return attempt_count(group="api-anon", key=client_ip(request), period=self.duration) <= self.num_requests

    def wait(self) -> float:
        return self.retry_after
