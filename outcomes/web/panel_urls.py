"""Panelist pages, mounted at /panel/ (namespace "panel")."""

from __future__ import annotations

from django.urls import path

from outcomes.web import panel

app_name = "panel"

urlpatterns = [
    path("", panel.home, name="home"),
    path("t/<str:token>/", panel.enter, name="enter"),
    path("consent/", panel.consent, name="consent"),
    path("rounds/<int:number>/", panel.round_form, name="round"),
    path("suggestions/", panel.suggestions, name="suggestions"),
    path("leave/", panel.leave, name="leave"),
]
