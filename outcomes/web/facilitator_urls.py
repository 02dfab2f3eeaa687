"""Facilitator pages, mounted at /facilitate/ (namespace "facilitator")."""

from __future__ import annotations

from django.urls import path

from outcomes.web import facilitator as views

app_name = "facilitator"

urlpatterns = [
    path("", views.process_list, name="process-list"),
    path("new/", views.process_create, name="process-create"),
    path("<int:pk>/", views.dashboard, name="dashboard"),
    path("<int:pk>/items/", views.items, name="items"),
    path("<int:pk>/items/<int:item_id>/edit/", views.item_edit, name="item-edit"),
    path("<int:pk>/definition/", views.definition, name="definition"),
    path("<int:pk>/translations/", views.translations, name="translations"),
    path("<int:pk>/groups/<int:group_id>/edit/", views.group_edit, name="group-edit"),
    path("<int:pk>/groups/<int:group_id>/delete/", views.group_delete, name="group-delete"),
    path("<int:pk>/panelists/", views.panelists, name="panelists"),
    path(
        "<int:pk>/panelists/<int:panelist_id>/<str:action>/",
        views.panelist_action,
        name="panelist-action",
    ),
    path("<int:pk>/rounds/", views.round_create, name="round-create"),
    path("<int:pk>/rounds/<int:number>/", views.round_results, name="round-results"),
    path("<int:pk>/rounds/<int:number>/meeting/", views.meeting, name="meeting"),
    path("<int:pk>/rounds/<int:number>/<str:action>/", views.round_action, name="round-action"),
    path("<int:pk>/suggestions/", views.suggestions, name="suggestions"),
    path("<int:pk>/finalise/", views.finalise, name="finalise"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/report/", views.report, name="report"),
    path("<int:pk>/ratings.csv", views.ratings_csv, name="ratings-csv"),
    path("<int:pk>/results.csv", views.results_csv, name="results-csv"),
    path("<int:pk>/report.csv", views.report_csv, name="report-csv"),
]
