"""Panelist pages, mounted at /panel/ (namespace "panel")."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from outcomes.ratelimit import ratelimit
from outcomes.web import panel

# Token guessing: following personal links is limited per client IP (PANEL_LINK_RATE_LIMIT).
panel_link_limit = ratelimit(group="panel-link", rate=settings.PANEL_LINK_RATE_LIMIT, methods=("GET", "POST"))


def no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The address holds the token: a page served under it (an error, a 429) sends no Referer, not even to this
    site (whose proxy may log it). Elsewhere SECURE_REFERRER_POLICY (same-origin) applies."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


app_name = "panel"

urlpatterns = [
    path("", panel.home, name="home"),
    path("t/<str:token>/", no_referrer(panel_link_limit(panel.enter)), name="enter"),
    path("consent/", panel.consent, name="consent"),
    path("rounds/<int:number>/", panel.round_form, name="round"),
    path("suggestions/", panel.suggestions, name="suggestions"),
    path("language/", panel.language, name="language"),
    path("leave/", panel.leave, name="leave"),
]
