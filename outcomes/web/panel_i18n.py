"""The language of the panel pages: the panelist's stored choice; before we know the panelist (an invalid link),
the browser's preference among the registry's languages."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import translation

from outcomes.selectors.translations import language_codes


def request_language(request: HttpRequest) -> str:
    """The browser's preferred language among those the panel pages are translated into (English by default)."""
    language = translation.get_language_from_request(request).split("-")[0]
    return language if language in language_codes() else "en"
