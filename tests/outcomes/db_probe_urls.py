"""The site's URLs plus one /api/ view that reads the database (until the API lane's endpoints land)."""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path

from cos_registry.urls import handler500
from cos_registry.urls import urlpatterns as site_urlpatterns
from diseases.models import DiseaseArea


def probe(request):
    return JsonResponse({"disease_areas": DiseaseArea.objects.count()})


urlpatterns = [path("api/v1/probe/", probe, name="db-probe"), *site_urlpatterns]
__all__ = ["handler500", "urlpatterns"]
