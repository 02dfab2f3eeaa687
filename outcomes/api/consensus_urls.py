"""Consensus API for panelists and facilitators (namespace "api", under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from outcomes.api import consensus as views

urlpatterns = [
    path("consensus/processes/", views.ProcessListView.as_view(), name="consensus-process-list"),
    path("consensus/processes/<int:pk>/", views.ProcessDetailView.as_view(), name="consensus-process-detail"),
    path("consensus/processes/<int:pk>/rounds/", views.RoundListView.as_view(), name="consensus-round-list"),
    path("consensus/rounds/<int:pk>/open/", views.RoundOpenView.as_view(), name="consensus-round-open"),
    path("consensus/rounds/<int:pk>/close/", views.RoundCloseView.as_view(), name="consensus-round-close"),
    path("consensus/rounds/<int:pk>/results/", views.RoundResultsView.as_view(), name="consensus-round-results"),
    path("consensus/panel/", views.PanelMeView.as_view(), name="panel-me"),
    path("consensus/panel/consent/", views.PanelConsentView.as_view(), name="panel-consent"),
    path("consensus/panel/rounds/<int:number>/", views.PanelRoundView.as_view(), name="panel-round"),
    path("consensus/panel/suggestions/", views.PanelSuggestionsView.as_view(), name="panel-suggestions"),
]
