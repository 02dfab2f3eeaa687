"""The language of an API answer about a published version: `?lang=` when given, else the best of the
client's `Accept-Language` among the registry's languages, else English (the reference wording)."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request

from outcomes.selectors.translations import language_codes

LANG_PARAM = OpenApiParameter(
    "lang",
    str,
    OpenApiParameter.QUERY,
    required=False,
    enum=[code for code, _name in settings.LANGUAGES],
    description="The language of the `localized` texts (overrides Accept-Language). English is the reference "
    "wording; an outcome without a reviewed translation is given in English.",
)
ACCEPT_LANGUAGE_HEADER = OpenApiParameter(
    "Accept-Language",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Preferred languages (e.g. `de-CH, de;q=0.9, en;q=0.5`); the answer says which in Content-Language.",
)


def negotiated_language(request: Request) -> str:
    explicit = request.query_params.get("lang")
    if explicit is not None:
        code = explicit.strip().lower()
        if code not in language_codes():
            raise exceptions.ValidationError(
                {"lang": [f"{explicit!r} is not a language of the registry: use one of {', '.join(language_codes())}."]}
            )
        return code
    for tag, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")[:500]):
        if tag == "*":
            break
        code = tag.split("-")[0]
        if code in language_codes():
            return code
    return settings.REFERENCE_LANGUAGE


def localize_document(document: dict, language: str) -> dict:
    """The version document with, for a language other than English, each outcome's `localized` texts (its reviewed
    translation, or the English with `language: en`) and the document's `language`."""
    if language == settings.REFERENCE_LANGUAGE:
        return document
    document = {**document, "language": language}
    outcomes = []
    for outcome in document.get("outcomes", []):
        texts = outcome.get("translations", {}).get(language, {})
        name, definition = texts.get("name"), texts.get("definition") if outcome.get("definition") else None
        localized = {
            "name": name or outcome["name"],
            "name_language": language if name else settings.REFERENCE_LANGUAGE,
            "definition": definition or outcome.get("definition", ""),
            "definition_language": language if definition else settings.REFERENCE_LANGUAGE,
        }
        outcomes.append({**outcome, "localized": localized})
    document["outcomes"] = outcomes
    return document


def language_headers(response, language: str):
    response["Content-Language"] = language
    patch_vary_headers(response, ["Accept-Language"])
    return response
