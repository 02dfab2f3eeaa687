"""Version pages: a stable citable page per version, the latest version, and the diff between two versions."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from outcomes import selectors
from outcomes.exports.citation import add_cite_as
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion
from outcomes.models.sets import SEMVER_RE
from outcomes.permissions import is_curator
from outcomes.selectors import consensus as consensus_selectors
from outcomes.services.diff import version_diff
from outcomes.services.versions import (
    immutability_guard,
    version_doi_set,
    version_draft_create,
    version_propose_number,
    version_publish,
    version_withdraw,
)
from outcomes.web.forms import DOIForm, PublishForm, WithdrawForm, form_add_service_errors
from outcomes.web.setpage import concept_sets_context, network_context, outcome_language_context, version_links_context

Status = CoreOutcomeSetVersion.Status


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
    if version is None or not selectors.version_visible_to(request.user, version):
        raise Http404("No such version")
    return version


def _render_version(
    request: HttpRequest,
    cos: CoreOutcomeSet,
    shown: CoreOutcomeSetVersion,
    *,
    publish_form: PublishForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    doi_form: DOIForm | None = None,
    draft_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    curator = is_curator(request.user)
    history = selectors.version_history(cos, user=request.user)
    public = [row.version for row in history if row.version.is_frozen]
    successor = None
    if shown.status == Status.SUPERSEDED:
        # The version that replaced it: the next higher public version.
        successor = next((v for v in reversed(public) if v.semver > shown.semver), None)
    previous = next((row.previous for row in history if row.version.pk == shown.pk), None)
    process = getattr(shown, "consensus_process", None)
    context = {
        "cos": cos,
        "version": shown,
        "core_areas": selectors.outcomes_by_core_area(shown),
        "history": history,
        "successor": successor,
        "corrected_in": selectors.corrected_in(shown, public),
        "previous": previous,
        "process": process,
        "rounds_held": consensus_selectors.rounds_held(process) if process is not None else None,
        "can_curate": curator,
        **outcome_language_context(request, shown),
        **version_links_context(cos, shown),
        **network_context(shown),
        **concept_sets_context(cos, shown),
    }
    if curator:
        # A consensus process's version is published from the process (version_publish); the page says so
        # instead of offering a form, and shows the refusal if the form was posted anyway.
        if shown.status in (Status.DRAFT, Status.IN_CONSENSUS) and (context["process"] is None or publish_form):
            context["publish_form"] = publish_form or PublishForm()
            context["proposal"] = version_propose_number(version=shown)
        if shown.status == Status.PUBLISHED:
            context["withdraw_form"] = withdraw_form or WithdrawForm()
        if shown.is_frozen:
            context["draft_errors"] = draft_errors or []
            context["doi_form"] = doi_form or DOIForm(initial={"doi": shown.doi})
    return render(request, "public/version_detail.html", context, status=status)


def version_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos = _set_or_404(slug)
    shown = _version_or_404(request, cos, version)
    return add_cite_as(_render_version(request, cos, shown), shown)


def _curated(request: HttpRequest, slug: str, version: str) -> tuple[CoreOutcomeSet, CoreOutcomeSetVersion]:
    """The set and version a curator acts on; anyone else is refused (403) before anything is read or changed."""
    if not is_curator(request.user):
        raise PermissionDenied("Only curators can change a version's status.")
    cos = _set_or_404(slug)
    return cos, _version_or_404(request, cos, version)


def _lifecycle_post(
    request: HttpRequest,
    slug: str,
    version: str,
    *,
    form_class: type[PublishForm] | type[WithdrawForm] | type[DOIForm],
    change: Callable[[CoreOutcomeSetVersion, dict], object],
    done: str,
) -> HttpResponse:
    """A curator's publish, withdraw or DOI: validate the form, call the service, redirect; on a refusal show the
    version page again with the form and its errors (400)."""
    cos, shown = _curated(request, slug, version)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            with immutability_guard():
                change(shown, form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, done.format(version=shown.version))
            return redirect("web:version-detail", slug=cos.slug, version=shown.version)
    shown = _version_or_404(request, cos, version)
    forms = {PublishForm: {"publish_form": form}, WithdrawForm: {"withdraw_form": form}, DOIForm: {"doi_form": form}}[
        form_class
    ]
    return _render_version(request, cos, shown, **forms, status=400)


@require_POST
def version_publish_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    def publish(shown: CoreOutcomeSetVersion, data: dict) -> object:
        return version_publish(version=shown, by=request.user, number=data["number"] or None)

    return _lifecycle_post(
        request, slug, version, form_class=PublishForm, change=publish, done="Version {version} is published."
    )


@require_POST
def version_withdraw_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    def withdraw(shown: CoreOutcomeSetVersion, data: dict) -> object:
        return version_withdraw(version=shown, by=request.user, reason=data["reason"])

    return _lifecycle_post(
        request, slug, version, form_class=WithdrawForm, change=withdraw, done="Version {version} is withdrawn."
    )


@require_POST
def version_doi_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    def set_doi(shown: CoreOutcomeSetVersion, data: dict) -> object:
        return version_doi_set(version=shown, doi=data["doi"], by=request.user)

    return _lifecycle_post(
        request, slug, version, form_class=DOIForm, change=set_doi, done="The DOI of version {version} is recorded."
    )


@require_POST
def version_draft_create_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos, shown = _curated(request, slug, version)
    correction = request.POST.get("correction") == "1"
    try:
        draft = version_draft_create(from_version=shown, by=request.user, correction=correction)
    except ValidationError as exc:
        return _render_version(request, cos, shown, draft_errors=exc.messages, status=400)
    kind = "Correction draft" if correction else "Draft"
    messages.success(request, f"{kind} {draft.version} created from version {shown.version}.")
    return redirect("web:version-detail", slug=cos.slug, version=draft.version)


def version_latest(request: HttpRequest, slug: str) -> HttpResponse:
    """Redirect to the set's current version (selectors.current_version_pk)."""
    cos = get_object_or_404(CoreOutcomeSet, slug=slug)
    version = selectors.current_versions(cos.versions.only("version")).first()
    if version is None:
        raise Http404("This set has no published version yet")
    return redirect("web:version-detail", slug=cos.slug, version=version.version)


def version_diff_page(request: HttpRequest, slug: str, a: str, b: str) -> HttpResponse:
    cos = _set_or_404(slug)
    old = _version_or_404(request, cos, a)
    new = _version_or_404(request, cos, b)
    context = {"cos": cos, "old": old, "new": new, "diff": version_diff(old=old, new=new)}
    return render(request, "public/version_diff.html", context)
