"""API plumbing shared by every endpoint (registry and consensus): JSON rendering, pagination, negotiation."""

from __future__ import annotations

import io
from typing import Any

import orjson
from django.conf import settings
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class ORJSONRenderer(JSONRenderer):
    """JSONRenderer with orjson: several times faster on large version documents, same output types."""

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None) -> bytes:
        if data is None:
            return b""
        options = orjson.OPT_NON_STR_KEYS
        indent = self.get_indent(accepted_media_type or "", renderer_context or {})
        if indent:
            options |= orjson.OPT_INDENT_2
        return orjson.dumps(data, default=JSONEncoder().default, option=options)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "too_large"
    default_detail = "The request body is too large."


def payload_too_large_message() -> str:
    return f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes."


def _read_bounded(stream) -> io.BytesIO:
    """The body, read at most one byte past DATA_UPLOAD_MAX_MEMORY_SIZE: DRF hands its parsers the raw request
    stream, past Django's own size check, so the limit is applied here (413)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = stream.read() if limit is None else stream.read(limit + 1)
    if limit is not None and len(body) > limit:
        raise PayloadTooLarge(payload_too_large_message())
    return io.BytesIO(body)


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser within limits, so hostile bodies are 4xx in the API's error shape, never a 500: at most
    DATA_UPLOAD_MAX_MEMORY_SIZE bytes (413), and nesting deeper than the decoder follows (`[[[[...` 100,000 deep
    raises RecursionError) is a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        body = _read_bounded(stream)
        try:
            return super().parse(body, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


class BoundedFormParser(FormParser):
    """DRF's form parser with the same size limit (Django's field-count limit applies as it builds the QueryDict)."""

    def parse(self, stream, media_type=None, parser_context=None):
        return super().parse(_read_bounded(stream), media_type, parser_context)


class Pagination(PageNumberPagination):
    """Page-number pagination with count/next/previous; `page_size` may be asked for, up to a cap.

    A page or page size that is not a positive whole number, or a page size over the cap, is a 400 naming the
    parameter (the schema states both bounds); a page past the last one is a 404, as in DRF.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def _positive_int(self, request, name: str, maximum: int | None = None) -> None:
        raw = request.query_params.get(name)
        if raw is None:
            return
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not raw.isdecimal() or int(raw) < 1:
            raise exceptions.ValidationError({name: [f"Must be a whole number of at least 1, got {raw!r}."]})
        if maximum is not None and int(raw) > maximum:
            raise exceptions.ValidationError({name: [f"Must be at most {maximum}, got {raw}."]})

    def paginate_queryset(self, queryset, request, view=None):
        self._positive_int(request, self.page_query_param)
        self._positive_int(request, self.page_size_query_param, self.max_page_size)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = f"Results per page (default {self.page_size}, at most {self.max_page_size})."
        return parameters


class FirstRendererNegotiation(BaseContentNegotiation):
    """For file downloads: the format is in the URL, so the Accept header does not choose the representation."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return (renderers[0], renderers[0].media_type)


class StrictInputMixin:
    """Every write of the API takes exactly its fields: a field it does not take (a typo, `status`, a field that is
    read-only here such as an item's `kind` or `process`) is a 400 naming it, never silently ignored."""

    # Fields of the resource that this write cannot change, besides its own read-only fields.
    read_only_names: tuple[str, ...] = ()

    def to_internal_value(self, data):
        refused = {}
        if hasattr(data, "keys"):
            for name in sorted(set(data.keys()) - {n for n, f in self.fields.items() if not f.read_only}):
                read_only = name in self.fields or name in self.read_only_names
                refused[name] = ["This field is read-only."] if read_only else ["Unknown field."]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            raise serializers.ValidationError({**detail, **refused}) from None
        if refused:
            raise serializers.ValidationError(refused)
        return value


class StrictSerializer(StrictInputMixin, serializers.Serializer):
    pass


class NoInputSerializer(StrictSerializer):
    """An action that takes no fields (open a round, revoke a link, ...): a body naming any field is a 400."""
