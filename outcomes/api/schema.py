"""OpenAPI post-processing: every operation documents the errors the global settings can produce, in the one
error shape (outcomes/api/errors.py), unless the view already documented them itself."""

from __future__ import annotations

ERROR_REF = {"$ref": "#/components/schemas/Error"}
DESCRIPTIONS = {
    "400": "Invalid input; `fields` names each field (nested fields as dotted paths).",  # also a NUL anywhere
    "401": "Authentication needed, or the credentials were refused.",
    "403": "Not allowed for this user.",
    "404": "Not found.",
    "429": "Too many requests (the anonymous read throttle, API_ANON_THROTTLE).",
}


def _needs_auth(operation: dict) -> bool:
    security = operation.get("security")
    return bool(security) and {} not in security


def add_error_responses(result: dict, generator, request, public) -> dict:
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            codes = {"429"}
            if "{" in path:
                codes.add("404")
            if method in ("post", "put", "patch") or any(
                p.get("in") == "query" for p in operation.get("parameters", [])
            ):
                codes.add("400")
            if _needs_auth(operation) or method in ("post", "put", "patch", "delete"):
                codes |= {"401", "403"}
            responses = operation.setdefault("responses", {})
            for code in sorted(codes):
                responses.setdefault(
                    code, {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}
                )
    result.setdefault("components", {}).setdefault("schemas", {})
    return result
