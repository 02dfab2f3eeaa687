"""URL entries of the conditions API, included in the `api` namespace under /api/v1/ (outcomes/api/registry_urls.py)."""

from __future__ import annotations

from django.urls import path

from diseases import api

urlpatterns = [
    path("conditions/", api.ConditionList.as_view(), name="condition-list"),
    path("conditions/<slug:slug>/", api.ConditionDetail.as_view(), name="condition-detail"),
]
