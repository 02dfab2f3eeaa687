"""Public pages for clinicians: browse disease areas and the core outcome sets of each."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from diseases import selectors as disease_selectors
from diseases.models import DiseaseArea
from outcomes import selectors
from outcomes.models import CoreOutcomeSet
from outcomes.permissions import is_curator
from outcomes.selectors import public as public_selectors
from outcomes.selectors.trials import verified_adoption_count
from outcomes.web.setpage import outcome_language_context, set_page_context


def home(request: HttpRequest) -> HttpResponse:
    context = {
        "disease_areas": selectors.disease_area_list(),
        "recent_versions": public_selectors.recently_published_versions(),
    }
    return render(request, "public/home.html", context)


def disease_area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(
        DiseaseArea.objects.prefetch_related(Prefetch("conditions", queryset=disease_selectors.condition_list())),
        slug=slug,
    )
    page = public_selectors.set_page(public_selectors.disease_area_sets(area), request.GET.get("page"))
    return render(request, "public/disease_area.html", {"area": area, "page_obj": page, "sets": page.object_list})


def set_detail(request: HttpRequest, slug: str) -> HttpResponse:
    cos = get_object_or_404(
        CoreOutcomeSet.objects.select_related("disease_area").prefetch_related("conditions__icd10_codes"),
        slug=slug,
    )
    version = selectors.current_version(cos)
    context = {
        "cos": cos,
        "version": version,
        "core_areas": selectors.outcomes_by_core_area(version) if version else [],
        "history": selectors.version_history(cos, user=request.user),
        "adoption_count": verified_adoption_count(cos),
        "can_curate": is_curator(request.user),
    }
    context.update(set_page_context(cos, version, context["core_areas"]))
    context.update(outcome_language_context(request, version))
    return render(request, "public/set_detail.html", context)
