"""Read API of the registry (disease areas, conditions, domains, instruments, sets, versions) and exports."""

from __future__ import annotations

from django.urls import path

from diseases.urls import urlpatterns as condition_urlpatterns
from outcomes.api.registry import dumps, mapping, network, search, views

urlpatterns = [
    path("disease-areas/", views.DiseaseAreaList.as_view(), name="disease-area-list"),
    path("disease-areas/<slug:slug>/", views.DiseaseAreaDetail.as_view(), name="disease-area-detail"),
    *condition_urlpatterns,
    path("outcome-domains/", views.OutcomeDomainList.as_view(), name="outcome-domain-list"),
    path("outcome-domains/<int:number>/", views.OutcomeDomainDetail.as_view(), name="outcome-domain-detail"),
    path("instruments/", views.InstrumentList.as_view(), name="instrument-list"),
    path("instruments/<str:acronym>/", views.InstrumentDetail.as_view(), name="instrument-detail"),
    path("core-outcome-sets/", views.CoreOutcomeSetList.as_view(), name="cos-list"),
    path("core-outcome-sets/<slug:slug>/", views.CoreOutcomeSetDetail.as_view(), name="cos-detail"),
    path("core-outcome-sets/<slug:slug>/versions/", views.VersionList.as_view(), name="version-list"),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:version>/",
        views.VersionDetail.as_view(),
        name="version-detail",
    ),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:a>/diff/<str:b>/",
        views.VersionDiff.as_view(),
        name="version-diff",
    ),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:version>/export/<str:format>/",
        views.VersionExport.as_view(),
        name="version-export",
    ),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:version>/network/",
        network.VersionNetwork.as_view(),
        name="version-network",
    ),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:version>/reports/",
        network.VersionReportUpload.as_view(),
        name="version-report-upload",
    ),
    path(
        "outcomes/<uuid:identity>/concept-sets/",
        mapping.OutcomeConceptSets.as_view(),
        name="outcome-concept-sets",
    ),
    path(
        "outcomes/<uuid:identity>/concept-sets/<int:number>/review/",
        mapping.OutcomeConceptSetReview.as_view(),
        name="outcome-concept-set-review",
    ),
    path(
        "core-outcome-sets/<slug:slug>/versions/<str:version>/cite/<str:format>/",
        views.VersionCite.as_view(),
        name="version-cite",
    ),
    path("core-outcome-sets/<slug:slug>/versions/<str:version>/doi/", views.VersionDOI.as_view(), name="version-doi"),
    path("search/", search.Search.as_view(), name="search"),
    path("dumps/", dumps.DumpList.as_view(), name="dump-list"),
    path("dumps/<uuid:pk>/", dumps.DumpDetail.as_view(), name="dump-detail"),
    path("dumps/<uuid:pk>/download/", dumps.DumpDownload.as_view(), name="dump-download"),
]
