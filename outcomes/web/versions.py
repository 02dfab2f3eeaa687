"""Version pages: a stable citable page per version, the latest version, and the diff between two versions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from outcomes import selectors
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion
from outcomes.models.sets import SEMVER_RE
from outcomes.permissions import can_view_version, is_curator
from outcomes.services.diff import version_diff


def _set_or_404(slug: str) -> CoreOutcomeSet:
    return get_object_or_404(
        CoreOutcomeSet.objects.select_related("disease_area").prefetch_related("conditions__icd10_codes"), slug=slug
    )


def _version_or_404(request: HttpRequest, cos: CoreOutcomeSet, number: str) -> CoreOutcomeSetVersion:
    """The version, if the number is well formed, it exists, and this user may see it; otherwise 404.

    A draft the user may not see answers 404 rather than 403, so that drafts are not discoverable.
    """
    if not SEMVER_RE.match(number):
        raise Http404("Not a version number")
    version = selectors.version_detail_queryset().filter(core_outcome_set=cos, version=number).first()
    if version is None or not can_view_version(request.user, version):
        raise Http404("No such version")
    return version


def version_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos = _set_or_404(slug)
    shown = _version_or_404(request, cos, version)
    history = selectors.version_history(cos, include_unpublished=is_curator(request.user))
    public = [row.version for row in history if row.version.is_frozen]
    successor = None
    if shown.status == CoreOutcomeSetVersion.Status.SUPERSEDED:
        # The version that replaced it: the next higher public version.
        successor = next((v for v in reversed(public) if v.semver > shown.semver), None)
    previous = next((row.previous for row in history if row.version.pk == shown.pk), None)
    context = {
        "cos": cos,
        "version": shown,
        "core_areas": selectors.outcomes_by_core_area(shown),
        "history": history,
        "successor": successor,
        "previous": previous,
        "process": getattr(shown, "consensus_process", None),
    }
    return render(request, "public/version_detail.html", context)


def version_latest(request: HttpRequest, slug: str) -> HttpResponse:
    """Redirect to the published version (or, when the last one was withdrawn, to the latest public one)."""
    cos = get_object_or_404(CoreOutcomeSet, slug=slug)
    public = cos.versions.filter(status__in=selectors.PUBLIC_STATUSES).only("version", "status")
    version = public.filter(status=CoreOutcomeSetVersion.Status.PUBLISHED).first() or public.first()
    if version is None:
        raise Http404("This set has no published version yet")
    return redirect("web:version-detail", slug=cos.slug, version=version.version)


def version_diff_page(request: HttpRequest, slug: str, a: str, b: str) -> HttpResponse:
    cos = _set_or_404(slug)
    old = _version_or_404(request, cos, a)
    new = _version_or_404(request, cos, b)
    context = {"cos": cos, "old": old, "new": new, "diff": version_diff(old=old, new=new)}
    return render(request, "public/version_diff.html", context)
