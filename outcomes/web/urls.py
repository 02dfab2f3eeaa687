from __future__ import annotations

from django.urls import path

from outcomes.web import browse, feeds, versions, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("feeds/changes.atom", feeds.ChangesFeed(), name="feed"),
    path("areas/<slug:slug>/feed.atom", feeds.DiseaseAreaChangesFeed(), name="feed-area"),
    path("sets/<slug:slug>/feed.atom", feeds.SetChangesFeed(), name="feed-set"),
    path("areas/<slug:slug>/", views.disease_area_detail, name="disease-area"),
    path("sets/<slug:slug>/", views.set_detail, name="set-detail"),
    path("conditions/<slug:slug>/", browse.condition_detail, name="condition-detail"),
    path("search/", browse.search, name="search"),
    path("domains/", browse.domain_list, name="domain-list"),
    path("domains/<int:number>/", browse.domain_detail, name="domain-detail"),
    path("instruments/", browse.instrument_list, name="instrument-list"),
    path("instruments/<str:acronym>/", browse.instrument_detail, name="instrument-detail"),
    path("compare/", browse.compare, name="compare"),
    path("compare/sets/", browse.set_suggestions, name="set-suggestions"),
    path("sets/<slug:slug>/v/<str:version>/", versions.version_detail, name="version-detail"),
    path("sets/<slug:slug>/v/<str:version>/publish/", versions.version_publish_page, name="version-publish"),
    path("sets/<slug:slug>/v/<str:version>/withdraw/", versions.version_withdraw_page, name="version-withdraw"),
    path("sets/<slug:slug>/v/<str:version>/doi/", versions.version_doi_page, name="version-doi"),
    path("sets/<slug:slug>/v/<str:version>/draft/", versions.version_draft_create_page, name="version-draft-create"),
    path("sets/<slug:slug>/latest/", versions.version_latest, name="version-latest"),
    path("sets/<slug:slug>/diff/<str:a>/<str:b>/", versions.version_diff_page, name="version-diff"),
]
