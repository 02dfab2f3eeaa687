"""API plumbing shared by every endpoint (registry and consensus): JSON rendering, pagination, negotiation."""

from __future__ import annotations

from typing import Any

import orjson
from rest_framework import exceptions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
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


class Pagination(PageNumberPagination):
    """Page-number pagination with count/next/previous; `page_size` may be asked for, up to a cap.

    A page or page size that is not a positive whole number is a 400 (it is a malformed value); a page past
    the last one is a 404, as in DRF.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def _positive_int(self, request, name: str) -> None:
        raw = request.query_params.get(name)
        if raw is None:
            return
        if not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError({name: [f"Must be a whole number of at least 1, got {raw!r}."]})

    def paginate_queryset(self, queryset, request, view=None):
        self._positive_int(request, self.page_query_param)
        self._positive_int(request, self.page_size_query_param)
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
