"""One JSON shape for every API error: {"error": {"status", "code", "message", "fields"}}.

Installed globally as REST_FRAMEWORK["EXCEPTION_HANDLER"], so the consensus endpoints answer the same way.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, not_authenticated, throttled, ...")
    message = serializers.CharField(help_text="A sentence for people.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field-level messages, by parameter or field name (empty when the error is not about a field).",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def _messages(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _messages(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _messages(item)]
    return [str(detail)]


def _fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field-level messages keyed by a dotted path: nested errors such as a list of ratings become
    `ratings.1.score`, so every message stays attached to the exact field it is about."""
    fields: dict[str, list[str]] = {}
    items = detail.items() if isinstance(detail, dict) else enumerate(detail)
    for key, value in items:
        path = f"{prefix}{key}"
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict | list) for v in value)):
            fields.update(_fields(value, f"{path}."))
        elif value:  # an empty entry is a valid item of a list that has errors elsewhere
            fields[path] = _messages(value)
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def error_payload(*, status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) if str(exc) else None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # an unexpected error: Django's 500 handling (and logging) takes over
    detail = exc.detail if isinstance(exc, exceptions.APIException) else response.data
    code = _code(exc) if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(exc, exceptions.ValidationError):
        fields = _fields(detail) if isinstance(detail, dict) else {"non_field_errors": _messages(detail)}
        message = "The request has invalid values: " + "; ".join(
            f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()
        )
        code = "invalid"
    else:
        fields = {}
        message = " ".join(_messages(detail))
    response.data = error_payload(status_code=response.status_code, code=code, message=message, fields=fields)
    return response


def error_response(*, status_code: int, code: str, message: str, fields: dict | None = None) -> Response:
    return Response(error_payload(status_code=status_code, code=code, message=message, fields=fields), status_code)


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """404 for a URL that matches no route: in the API's error shape under /api/, the usual page elsewhere."""
    if request.path.startswith("/api/"):
        payload = error_payload(status_code=404, code="not_found", message="No API endpoint at this address.")
        return JsonResponse(payload, status=404)
    return defaults.page_not_found(request, exception)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        payload = error_payload(status_code=500, code="server_error", message="An unexpected error; it is logged.")
        return JsonResponse(payload, status=500)
    return defaults.server_error(request)
