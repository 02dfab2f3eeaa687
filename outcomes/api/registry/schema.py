"""OpenAPI helpers shared by the registry's views: the error responses and the path parameters they document."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from outcomes.api.errors import ErrorSerializer

_ERROR_TEXT = {
    400: "Invalid parameter values; `fields` names each one.",
    401: "Authentication needed.",
    403: "Not allowed for this user.",
    404: "Not found.",
    406: "Not acceptable: the Accept header names no representation this resource has.",
    409: "Not ready yet.",
    429: "Too many requests: the anonymous read throttle (API_ANON_THROTTLE).",
}


def errors(*codes: int) -> dict:
    """Error responses for the schema: every error has the one shape of ErrorSerializer."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in (*codes, 429)}


def path_param(name: str, kind: type, description: str, *examples) -> OpenApiParameter:
    """A path parameter with examples from the reference data (shown in the docs, used by schemathesis)."""
    return OpenApiParameter(
        name,
        kind,
        OpenApiParameter.PATH,
        description=description,
        examples=[OpenApiExample(str(value), value=value) for value in examples],
    )


SLUG_PARAM = path_param("slug", str, "The set's slug.", "ichom-heart-failure", "localised-prostate-cancer-compacters")
VERSION_PARAM = path_param(
    "version",
    str,
    "`latest` (the set's current version: the published one, else the latest withdrawn or superseded one) or a "
    "semantic version MAJOR.MINOR.PATCH. A malformed value is a 400; a well-formed version the set does not have "
    "is a 404.",
    "latest",
    "1.0.0",
)
ETAG_HEADERS = [
    OpenApiParameter("If-None-Match", str, OpenApiParameter.HEADER, description="An ETag from an earlier answer."),
]
NOT_MODIFIED = OpenApiResponse(description="Not modified: the ETag in If-None-Match is still current.")
# CSL-JSON: a list of CSL items (here one, of type `dataset`).
CSL_JSON_SCHEMA = {"type": "array", "items": {"type": "object", "additionalProperties": {}}, "minItems": 1}
