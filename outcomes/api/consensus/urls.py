"""Consensus API for panelists and facilitators (namespace "api", under /api/v1/)."""

from __future__ import annotations

from django.urls import path

from outcomes.api.consensus import downloads, facilitator, panel

urlpatterns = [
    path("consensus/processes/", facilitator.ProcessListView.as_view(), name="consensus-process-list"),
    path("consensus/processes/<int:pk>/", facilitator.ProcessDetailView.as_view(), name="consensus-process-detail"),
    path("consensus/processes/<int:pk>/rounds/", facilitator.RoundListView.as_view(), name="consensus-round-list"),
    path("consensus/rounds/<int:pk>/", facilitator.RoundDetailView.as_view(), name="consensus-round-detail"),
    path("consensus/rounds/<int:pk>/open/", facilitator.RoundOpenView.as_view(), name="consensus-round-open"),
    path("consensus/rounds/<int:pk>/close/", facilitator.RoundCloseView.as_view(), name="consensus-round-close"),
    path("consensus/rounds/<int:pk>/results/", facilitator.RoundResultsView.as_view(), name="consensus-round-results"),
    path("consensus/processes/<int:pk>/groups/", facilitator.GroupListView.as_view(), name="consensus-groups"),
    path("consensus/groups/<int:pk>/", facilitator.GroupDetailView.as_view(), name="consensus-group"),
    path("consensus/processes/<int:pk>/items/", facilitator.ItemListView.as_view(), name="consensus-items"),
    path(
        "consensus/processes/<int:pk>/items/import/",
        facilitator.ItemImportView.as_view(),
        name="consensus-items-import",
    ),
    path("consensus/items/<int:pk>/", facilitator.ItemDetailView.as_view(), name="consensus-item"),
    path(
        "consensus/processes/<int:pk>/translations/",
        facilitator.TranslationListView.as_view(),
        name="consensus-translations",
    ),
    path("consensus/processes/<int:pk>/panelists/", facilitator.PanelistListView.as_view(), name="consensus-panelists"),
    path(
        "consensus/panelists/<int:pk>/revoke/",
        facilitator.PanelistRevokeView.as_view(),
        name="consensus-panelist-revoke",
    ),
    path(
        "consensus/panelists/<int:pk>/resend/",
        facilitator.PanelistResendView.as_view(),
        name="consensus-panelist-resend",
    ),
    path(
        "consensus/processes/<int:pk>/suggestions/",
        facilitator.SuggestionListView.as_view(),
        name="consensus-suggestions",
    ),
    path(
        "consensus/suggestions/<int:pk>/decide/",
        facilitator.SuggestionDecideView.as_view(),
        name="consensus-suggestion-decide",
    ),
    path(
        "consensus/round-items/<int:pk>/counts/",
        facilitator.MeetingCountsView.as_view(),
        name="consensus-meeting-counts",
    ),
    path(
        "consensus/processes/<int:pk>/finalise/", facilitator.ProcessFinaliseView.as_view(), name="consensus-finalise"
    ),
    path("consensus/processes/<int:pk>/publish/", facilitator.ProcessPublishView.as_view(), name="consensus-publish"),
    path("consensus/processes/<int:pk>/ratings/", downloads.RatingsDownloadView.as_view(), name="consensus-ratings"),
    path("consensus/processes/<int:pk>/ratings/csv/", downloads.RatingsCsvView.as_view(), name="consensus-ratings-csv"),
    path("consensus/processes/<int:pk>/results/", downloads.ResultsDownloadView.as_view(), name="consensus-results"),
    path("consensus/processes/<int:pk>/results/csv/", downloads.ResultsCsvView.as_view(), name="consensus-results-csv"),
    path("consensus/processes/<int:pk>/report/", downloads.ReportDownloadView.as_view(), name="consensus-report"),
    path("consensus/processes/<int:pk>/report/csv/", downloads.ReportCsvView.as_view(), name="consensus-report-csv"),
    path("consensus/panel/", panel.PanelMeView.as_view(), name="panel-me"),
    path("consensus/panel/consent/", panel.PanelConsentView.as_view(), name="panel-consent"),
    path("consensus/panel/rounds/<int:number>/", panel.PanelRoundView.as_view(), name="panel-round"),
    path("consensus/panel/suggestions/", panel.PanelSuggestionsView.as_view(), name="panel-suggestions"),
]
