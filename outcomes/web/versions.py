"""Version pages: a stable citable page per version, the latest version, and the diff between two versions."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from outcomes import selectors
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion
from outcomes.models.sets import SEMVER_RE
from outcomes.permissions import can_view_version, is_curator
from outcomes.services.diff import version_diff
from outcomes.services.versions import (
    immutability_guard,
    version_draft_create,
    version_propose_number,
    version_publish,
    version_withdraw,
)
from outcomes.web.setpage import version_links_context

Status = CoreOutcomeSetVersion.Status


class PublishForm(forms.Form):
    number = forms.CharField(
        label="Version number",
        required=False,
        max_length=32,
        help_text="Leave empty to take the proposed number. You may raise it, never lower it.",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Reason for withdrawal",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on the version's page, with a banner.",
    )


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


def _render_version(
    request: HttpRequest,
    cos: CoreOutcomeSet,
    shown: CoreOutcomeSetVersion,
    *,
    publish_form: PublishForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    draft_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    curator = is_curator(request.user)
    history = selectors.version_history(cos, include_unpublished=curator)
    public = [row.version for row in history if row.version.is_frozen]
    successor = None
    if shown.status == Status.SUPERSEDED:
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
        "can_curate": curator,
        **version_links_context(cos, shown),
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
    return render(request, "public/version_detail.html", context, status=status)


def version_detail(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos = _set_or_404(slug)
    return _render_version(request, cos, _version_or_404(request, cos, version))


def _curated(request: HttpRequest, slug: str, version: str) -> tuple[CoreOutcomeSet, CoreOutcomeSetVersion]:
    """The set and version a curator acts on; anyone else is refused (403) before anything is read or changed."""
    if not is_curator(request.user):
        raise PermissionDenied("Only curators can change a version's status.")
    cos = _set_or_404(slug)
    return cos, _version_or_404(request, cos, version)


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@require_POST
def version_publish_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos, shown = _curated(request, slug, version)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            with immutability_guard():
                version_publish(version=shown, by=request.user, number=form.cleaned_data["number"] or None)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Version {shown.version} is published.")
            return redirect("web:version-detail", slug=cos.slug, version=shown.version)
    shown = _version_or_404(request, cos, version)
    return _render_version(request, cos, shown, publish_form=form, status=400)


@require_POST
def version_withdraw_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos, shown = _curated(request, slug, version)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            with immutability_guard():
                version_withdraw(version=shown, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Version {shown.version} is withdrawn.")
            return redirect("web:version-detail", slug=cos.slug, version=shown.version)
    shown = _version_or_404(request, cos, version)
    return _render_version(request, cos, shown, withdraw_form=form, status=400)


@require_POST
def version_draft_create_page(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    cos, shown = _curated(request, slug, version)
    try:
        draft = version_draft_create(from_version=shown, by=request.user)
    except ValidationError as exc:
        return _render_version(request, cos, shown, draft_errors=exc.messages, status=400)
    messages.success(request, f"Draft {draft.version} created from version {shown.version}.")
    return redirect("web:version-detail", slug=cos.slug, version=draft.version)


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
