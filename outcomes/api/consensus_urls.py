"""Consensus API for panelists and facilitators (namespace "api", under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from outcomes.api import consensus as views

urlpatterns = [
    path("consensus/processes/", views.ProcessListView.as_view(), name="consensus-process-list"),
    path("consensus/processes/<int:pk>/", views.ProcessDetailView.as_view(), name="consensus-process-detail"),
    path("consensus/processes/<int:pk>/rounds/", views.RoundListView.as_view(), name="consensus-round-list"),
    path("consensus/rounds/<int:pk>/", views.RoundDetailView.as_view(), name="consensus-round-detail"),
    path("consensus/rounds/<int:pk>/open/", views.RoundOpenView.as_view(), name="consensus-round-open"),
    path("consensus/rounds/<int:pk>/close/", views.RoundCloseView.as_view(), name="consensus-round-close"),
    path("consensus/rounds/<int:pk>/results/", views.RoundResultsView.as_view(), name="consensus-round-results"),
    path("consensus/processes/<int:pk>/groups/", views.GroupListView.as_view(), name="consensus-groups"),
    path("consensus/groups/<int:pk>/", views.GroupDetailView.as_view(), name="consensus-group"),
    path("consensus/processes/<int:pk>/items/", views.ItemListView.as_view(), name="consensus-items"),
    path("consensus/processes/<int:pk>/items/import/", views.ItemImportView.as_view(), name="consensus-items-import"),
    path("consensus/items/<int:pk>/", views.ItemDetailView.as_view(), name="consensus-item"),
    path("consensus/processes/<int:pk>/panelists/", views.PanelistListView.as_view(), name="consensus-panelists"),
    path("consensus/panelists/<int:pk>/revoke/", views.PanelistRevokeView.as_view(), name="consensus-panelist-revoke"),
    path("consensus/panelists/<int:pk>/resend/", views.PanelistResendView.as_view(), name="consensus-panelist-resend"),
    path("consensus/processes/<int:pk>/suggestions/", views.SuggestionListView.as_view(), name="consensus-suggestions"),
    path(
        "consensus/suggestions/<int:pk>/decide/",
        views.SuggestionDecideView.as_view(),
        name="consensus-suggestion-decide",
    ),
    path("consensus/round-items/<int:pk>/counts/", views.MeetingCountsView.as_view(), name="consensus-meeting-counts"),
    path("consensus/processes/<int:pk>/finalise/", views.ProcessFinaliseView.as_view(), name="consensus-finalise"),
    path("consensus/processes/<int:pk>/publish/", views.ProcessPublishView.as_view(), name="consensus-publish"),
    path("consensus/processes/<int:pk>/ratings/", views.RatingsDownloadView.as_view(), name="consensus-ratings"),
    path("consensus/processes/<int:pk>/ratings/csv/", views.RatingsCsvView.as_view(), name="consensus-ratings-csv"),
    path("consensus/processes/<int:pk>/results/", views.ResultsDownloadView.as_view(), name="consensus-results"),
    path("consensus/processes/<int:pk>/results/csv/", views.ResultsCsvView.as_view(), name="consensus-results-csv"),
    path("consensus/processes/<int:pk>/report/", views.ReportDownloadView.as_view(), name="consensus-report"),
    path("consensus/processes/<int:pk>/report/csv/", views.ReportCsvView.as_view(), name="consensus-report-csv"),
    path("consensus/panel/", views.PanelMeView.as_view(), name="panel-me"),
    path("consensus/panel/consent/", views.PanelConsentView.as_view(), name="panel-consent"),
    path("consensus/panel/rounds/<int:number>/", views.PanelRoundView.as_view(), name="panel-round"),
    path("consensus/panel/suggestions/", views.PanelSuggestionsView.as_view(), name="panel-suggestions"),
]
