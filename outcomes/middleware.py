"""Last line of defence: a database refusal to change a frozen version becomes a 409 with its message, not a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from outcomes.immutability import immutability_error_message


class ImmutableVersionMiddleware:
    """Services, forms and the admin turn the refusal into their own messages first; this catches the rest."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IntegrityError):
            return None
        message = immutability_error_message(exception)
        if message is None:
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=409)
        return render(request, "public/immutable_refused.html", {"message": message}, status=409)
