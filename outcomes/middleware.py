"""Database errors that reach a view answer a plain message instead of a 500: 503 when the database is
unreachable, 409 when an immutability trigger refused a change to a frozen version."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from outcomes.api.errors import error_payload

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30
MESSAGE = "The registry's database is unavailable for a moment. Please try again in a minute."


def service_unavailable(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        payload = error_payload(status_code=503, code="service_unavailable", message=MESSAGE)
        response: HttpResponse = JsonResponse(payload, status=503)
    else:
        # Rendered without the request: the context processors would query the database (session, user) again.
        response = HttpResponse(render_to_string("errors/503.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable while serving %s", request.path, exc_info=exception)
        return service_unavailable(request)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database lost outside a view (session or auth middleware) still answers 503."""
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return service_unavailable(request)
    from outcomes.api.errors import handler500

    return handler500(request)


class ImmutableVersionMiddleware:
    """Last line of defence: a database refusal to change a frozen version answers 409 with its message, not a 500.

    Services, forms and the admin turn the refusal into their own messages first; this catches the rest.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from outcomes.immutability import immutability_error_message

        if not isinstance(exception, IntegrityError):
            return None
        message = immutability_error_message(exception)
        if message is None:
            return None
        if request.path.startswith("/api/"):
            from outcomes.api.errors import error_payload

            return JsonResponse(error_payload(status_code=409, code="immutable", message=message), status=409)
        return render(request, "public/immutable_refused.html", {"message": message}, status=409)


# --- NUL characters ---------------------------------------------------------------------------------------------
# PostgreSQL cannot store or compare text containing NUL (psycopg2 raises ValueError), so a NUL in a path (an
# instrument acronym, a slug) or a query value would otherwise end as a 500: it is a 400 before any view runs.
# Session cookies and API tokens are checked by cos_registry.sessions and outcomes.api.authentication.

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    return any(NUL in value for values in request.GET.lists() for value in values[1])


class RejectNulCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                from outcomes.api.errors import error_payload

                return JsonResponse(error_payload(status_code=400, code="invalid", message=message), status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)


# --- public reads: read replicas and shared caches (outcomes/public_reads.py) -----------------------------------


class ReplicaReadsMiddleware:
    """A public read runs its view with reads on a healthy replica (cos_registry/db_router.py); the view runs again
    on the primary if the replica fails under it (stopped, restarted), so a replica going away fails no request.

    A client that wrote gets the read-your-writes cookie: its next reads, for as long as a replica may lag, go to
    the primary. Last in MIDDLEWARE: it runs the view itself. Unused when no replica is configured.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        from django.core.exceptions import MiddlewareNotUsed

        from cos_registry.db_router import replica_aliases

        if not replica_aliases():
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        from outcomes.public_reads import WROTE_COOKIE

        response = self.get_response(request)
        route = getattr(request, "cos_read_route", None)
        if request.method not in ("GET", "HEAD", "OPTIONS") or (route is not None and route.wrote):
            response.set_cookie(
                WROTE_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_MAX_LAG_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        from cos_registry.db_router import healthy_replica, reads_from, replica_failed
        from outcomes.public_reads import is_public_read
        from outcomes.services.cache_purge import REFRESH_HEADER

        # A cache refreshing an entry after a publication (outcomes/services/cache_purge.py) must see it committed.
        if not is_public_read(request) or request.headers.get(REFRESH_HEADER):
            return None
        alias = healthy_replica()
        if alias is None:
            return None
        with reads_from(alias) as route:
            request.cos_read_route = route
            try:
                response = view_func(request, *view_args, **view_kwargs)
                # Lazy responses (DRF, TemplateResponse) render here, so that their reads use the replica too.
                if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                    response = response.render()
                return response
            except (OperationalError, InterfaceError) as exc:
                if route.wrote:
                    raise
                replica_failed(alias, exc)
        return None  # the view runs again, reading from the primary


class CacheHeadersMiddleware:
    """Cache-Control and Vary on every response: public reads are cacheable by browsers and shared caches, every
    other response is `private, no-store` (outcomes/public_reads.py). Inside ConditionalGetMiddleware, which adds
    the strong ETag and answers If-None-Match with 304."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from outcomes.public_reads import cache_headers_apply

        return cache_headers_apply(request, self.get_response(request))
