"""One JSON shape for every API error: {"error": {"status", "code", "message", "fields"}}.

Installed globally as REST_FRAMEWORK["EXCEPTION_HANDLER"], so the consensus endpoints answer the same way. A
service's refusal (Django's ValidationError) is shaped here too, so views call services without wrapping them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from outcomes.services import consensus as consensus_services


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


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [f"{key}: {msg}" for key, value in detail.items() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Field-level messages keyed by dotted path: a nested error on the second rating is `ratings.1.score`."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        children = detail.items()
    elif isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        children = ((str(i), item) for i, item in enumerate(detail) if item)
    else:
        return {prefix: _flatten(detail)} if prefix else {}
    for key, value in children:
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict | list) for v in value)):
            fields.update(_fields(value, path))
        else:
            fields[path] = _flatten(value)
    return fields


def _code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def error_payload(*, status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}}


def _service_refusal(exc: DjangoValidationError) -> exceptions.ValidationError:
    """A service's refusal as a 400 with field-level messages."""
    if isinstance(exc, consensus_services.CsvImportError):
        # Every bad row of the file, each message starting with its line number: {"file": ["Line 3: ...", ...]}.
        return exceptions.ValidationError({"file": exc.messages})
    if isinstance(exc, consensus_services.RatingsRefused):
        # By position in the submission and field: {"ratings": {"0": {"score": [...]}}} -> `ratings.0.score`.
        detail = {
            index: {name: [message] for name, message in problems.items()} for index, problems in exc.errors.items()
        }
        return exceptions.ValidationError({"ratings": detail})
    detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return exceptions.ValidationError(detail)


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = _service_refusal(exc)
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
        fields = _fields(detail) if isinstance(detail, dict) else {"non_field_errors": _flatten(detail)}
        message = "The request has invalid values: " + "; ".join(
            f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()
        )
        code = "invalid"
    else:
        fields = {}
        message = " ".join(_flatten(detail))
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


def handler400(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many form fields,
    another SuspiciousOperation): in the API's error shape under /api/, Django's page elsewhere. A body too large
    is a 413, as the API's own parsers answer it (outcomes.api.common)."""
    if not request.path.startswith("/api/"):
        return defaults.bad_request(request, exception)
    from outcomes.api.common import payload_too_large_message

    if isinstance(exception, RequestDataTooBig):
        payload = error_payload(status_code=413, code="too_large", message=payload_too_large_message())
        return JsonResponse(payload, status=413)
    if isinstance(exception, TooManyFieldsSent | TooManyFilesSent):
        message = "The request has too many form fields or files."
    else:
        message = "The request is malformed."
    return JsonResponse(error_payload(status_code=400, code="bad_request", message=message), status=400)


def handler500(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        payload = error_payload(status_code=500, code="server_error", message="An unexpected error; it is logged.")
        return JsonResponse(payload, status=500)
    return defaults.server_error(request)


_SCHEMA_ERRORS = {
    "400": "Invalid input; `fields` names each field and what is wrong with it.",
    "401": "Authentication needed, or the credentials are invalid.",
    "403": "Not allowed for this user.",
    "404": "Not found.",
    "413": "The request body is larger than the server accepts (DATA_UPLOAD_MAX_MEMORY_SIZE).",
    "429": "Too many requests (throttled).",
}


def schema_add_error_responses(result: dict, generator: Any, request: Any, public: bool) -> dict:
    """drf-spectacular post-processing hook: every operation documents the errors it can answer, in the one shape.

    Views may declare their own error responses; this fills in the ones every endpoint shares, so a new endpoint
    cannot forget them: 429 (throttling) and 400 (input; a NUL anywhere) always, 401/403 when it needs authentication,
    404 when its path names an object, 413 when it takes a body.
    """
    ref = {"$ref": "#/components/schemas/Error"}
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # 400 on every operation: invalid input, and any request carrying a NUL (outcomes.middleware).
            codes = ["400", "429"]
            if any(requirement for requirement in operation.get("security", [])):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            if "requestBody" in operation:
                codes.append("413")
            for code in codes:
                responses.setdefault(code, {"description": _SCHEMA_ERRORS[code]})
            for code, response in responses.items():
                if code.startswith(("4", "5")):
                    response["content"] = {"application/json": {"schema": ref}}
    return result
