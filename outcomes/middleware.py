"""Refuse requests that carry a NUL character where it would reach the database.

PostgreSQL cannot store or compare text containing NUL (psycopg2 raises ValueError), so a crafted path, query
string, cookie (Django's session key lookup) or Authorization header (DRF's token lookup) would otherwise end as a
500. They are answered with a 400 before any view or session lookup runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from outcomes.api.errors import error_payload

NUL = "\x00"


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path or "%00" in request.META.get("QUERY_STRING", ""):
        return True
    if NUL in request.META.get("HTTP_COOKIE", "") or NUL in request.META.get("HTTP_AUTHORIZATION", ""):
        return True
    return any(NUL in value for values in request.GET.lists() for value in values[1])


class RejectNulCharactersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            message = "The request contains a NUL character."
            if request.path.startswith("/api/"):
                return JsonResponse(error_payload(status_code=400, code="invalid", message=message), status=400)
            return HttpResponseBadRequest(message)
        return self.get_response(request)
