"""Pages for trial designers: check a trial's outcomes against a set, the stored result, declare adoption, the
curators' queue of declarations, and uptake (a set's and the registry's)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from outcomes.exports import attachment
from outcomes.exports.trials import check_csv, ready_paragraph
from outcomes.models import CoreOutcomeSet, TrialAdoption, TrialCheck
from outcomes.permissions import is_curator
from outcomes.selectors import current_version, public_versions, version_queryset
from outcomes.selectors import trials as trial_selectors
from outcomes.services import trials as trial_services
from outcomes.trials import inputs
from outcomes.web.trial_charts import uptake_chart


class CheckForm(forms.Form):
    version = forms.ChoiceField(label="Core outcome set and version")
    lines = forms.CharField(
        label="The trial's outcomes, one per line", required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    ctgov = forms.CharField(
        label="Or a ClinicalTrials.gov study record (API v2 JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    nct = forms.CharField(label="Or an NCT number to fetch from ClinicalTrials.gov", required=False, max_length=20)
    upload = forms.FileField(label="Or a file: the study record (.json) or a CSV with a measure column", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        versions = (
            public_versions(version_queryset())
            .select_related("core_outcome_set")
            .order_by("core_outcome_set__title", "-major", "-minor", "-patch")
        )
        self.versions = {str(v.pk): v for v in versions}
        self.fields["version"].choices = [
            (str(v.pk), f"{v.core_outcome_set.title}, version {v.version}") for v in versions
        ]

    def clean(self) -> dict:
        data = super().clean()
        given = [name for name in ("lines", "ctgov", "nct", "upload") if data.get(name)]
        if len(given) != 1:
            raise ValidationError(
                "Give the trial's outcomes one way: pasted lines, a study record, an NCT number or a file."
            )
        name = given[0]
        try:
            if name == "lines":
                data["trial"], data["source"] = inputs.parse_lines(data["lines"]), TrialCheck.Source.LINES
            elif name == "ctgov":
                data["trial"], data["source"] = inputs.parse_ctgov_text(data["ctgov"]), TrialCheck.Source.CTGOV
            elif name == "nct":
                data["trial"], data["source"] = inputs.fetch_ctgov(data["nct"]), TrialCheck.Source.NCT
            else:
                upload = data["upload"]
                if upload.size > inputs.MAX_INPUT_BYTES:
                    raise ValidationError(f"The file is too large: at most {inputs.MAX_INPUT_BYTES:,} bytes.")
                body = upload.read(inputs.MAX_INPUT_BYTES + 1)
                if upload.name.lower().endswith(".json"):
                    data["trial"] = inputs.parse_ctgov_text(inputs.decode(body))
                    data["source"] = TrialCheck.Source.CTGOV
                else:
                    data["trial"], data["source"] = inputs.parse_csv(body), TrialCheck.Source.CSV
        except ValidationError as exc:
            self.add_error(name, exc)
        return data


@require_http_methods(["GET", "POST"])
def trial_check(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        initial = {}
        if request.GET.get("set"):
            cos = CoreOutcomeSet.objects.filter(slug=request.GET["set"]).first()
            version = current_version(cos) if cos else None
            if version:
                initial["version"] = str(version.pk)
        return render(request, "public/trials/check.html", {"form": CheckForm(initial=initial)})
    try:
        form = CheckForm(request.POST, request.FILES)
        form.is_valid()
    except RequestDataTooBig:
        # Django refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE before the form sees it: nothing was read or stored.
        too_large = (
            f"The input is too large: paste or upload at most {inputs.MAX_INPUT_BYTES:,} bytes. Nothing was stored."
        )
        return render(request, "public/trials/check.html", {"form": CheckForm(), "page_error": too_large}, status=413)
    if form.errors:
        return render(request, "public/trials/check.html", {"form": form}, status=400)
    version = form.versions[form.cleaned_data["version"]]
    try:
        check = trial_services.trial_check_create(
            version=version, trial=form.cleaned_data["trial"], source=form.cleaned_data["source"], by=request.user
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "public/trials/check.html", {"form": form}, status=400)
    return redirect("web:trial-check-result", pk=check.pk)


class DeclareForm(forms.Form):
    registry_id = forms.CharField(label="Trial registry identifier", max_length=40, help_text=inputs.IDENTIFIER_HELP)
    trial_title = forms.CharField(label="Trial title (optional)", max_length=500, required=False)


def _result_context(request: HttpRequest, check: TrialCheck, declare_form: DeclareForm | None = None) -> dict:
    rows = []
    for v in check.verdicts:
        index = v.get("trial_outcome")
        rows.append({**v, "trial_measure": check.trial_outcomes[index]["measure"] if index is not None else ""})
    return {
        "check": check,
        "rows": rows,
        "not_in_set": [check.trial_outcomes[i] for i in check.not_in_set],
        "paragraph": ready_paragraph(check.version, measured_all=check.meets_kirkham),
        "declare_form": declare_form
        or DeclareForm(initial={"registry_id": check.registry_id, "trial_title": check.trial_title}),
        "adoptable": check.version.status in trial_services.ADOPTABLE_STATUSES,
    }


@require_http_methods(["GET"])
def trial_check_result(request: HttpRequest, pk) -> HttpResponse:
    check = get_object_or_404(trial_selectors.trial_check_queryset(), pk=pk)
    return render(request, "public/trials/result.html", _result_context(request, check))


@require_http_methods(["GET"])
def trial_check_csv(request: HttpRequest, pk) -> HttpResponse:
    check = get_object_or_404(trial_selectors.trial_check_queryset(), pk=pk)
    return attachment(check_csv(check), filename=f"trial-check-{check.pk}.csv", content_type="text/csv; charset=utf-8")


@login_required
@require_POST
def adoption_declare(request: HttpRequest, pk) -> HttpResponse:
    check = get_object_or_404(trial_selectors.trial_check_queryset(), pk=pk)
    form = DeclareForm(request.POST)
    if form.is_valid():
        try:
            trial_services.adoption_declare(
                version=check.version,
                registry_id=form.cleaned_data["registry_id"],
                trial_title=form.cleaned_data["trial_title"],
                check=check,
                by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Thank you: the adoption is declared. A curator will verify it.")
            return redirect("web:trial-check-result", pk=check.pk)
    return render(request, "public/trials/result.html", _result_context(request, check, form), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def adoption_queue(request: HttpRequest) -> HttpResponse:
    if not is_curator(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        adoption = TrialAdoption.objects.filter(pk=request.POST.get("adoption") or 0).first()
        action = request.POST.get("action")
        try:
            if adoption is None or action not in ("verify", "reject"):
                raise ValidationError("Choose a declaration and verify or reject it.")
            if action == "verify":
                trial_services.adoption_verify(adoption=adoption, by=request.user)
                messages.success(request, f"{adoption.registry_id} is verified.")
            else:
                trial_services.adoption_reject(
                    adoption=adoption, by=request.user, reason=request.POST.get("reason", "")
                )
                messages.success(request, f"{adoption.registry_id} is rejected.")
            return redirect("web:adoption-queue")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            status = 400
    context = {"pending": trial_selectors.adoptions_pending(), "recent": trial_selectors.adoption_queryset()[:20]}
    return render(request, "public/trials/queue.html", context, status=status)


def set_uptake(request: HttpRequest, slug: str) -> HttpResponse:
    cos = get_object_or_404(CoreOutcomeSet.objects.select_related("disease_area"), slug=slug)
    months = trial_selectors.set_uptake(cos)
    context = {
        "cos": cos,
        "months": months,
        "chart": uptake_chart(months),
        "adoptions": trial_selectors.adoptions_verified(cos),
        "version": current_version(cos),
    }
    return render(request, "public/trials/set_uptake.html", context)


def uptake(request: HttpRequest) -> HttpResponse:
    return render(request, "public/trials/uptake.html", {"sets": trial_selectors.sets_by_uptake()})
