"""Panelist pages, mounted at /panel/ (namespace "panel")."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from outcomes.ratelimit import ratelimit
from outcomes.web import panel

# Token guessing: following personal links is limited per client IP (PANEL_LINK_RATE_LIMIT).
panel_link_limit = ratelimit(group="panel-link", rate=settings.PANEL_LINK_RATE_LIMIT, methods=("GET", "POST"))

app_name = "panel"

urlpatterns = [
    path("", panel.home, name="home"),
    path("t/<str:token>/", panel_link_limit(panel.enter), name="enter"),
    path("consent/", panel.consent, name="consent"),
    path("rounds/<int:number>/", panel.round_form, name="round"),
    path("suggestions/", panel.suggestions, name="suggestions"),
    path("leave/", panel.leave, name="leave"),
]
