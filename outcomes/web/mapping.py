"""The curator's mapping page of an outcome: its concept set revisions, a form to propose one, a button to review.

Curators only (403 for everyone else, before anything is read). The outcome is named by its set and identity; it
is looked up among the set's versions (a curator sees drafts too). With an OMOP vocabulary loaded, `?preview=`
lists the descendants of one of the items' concepts.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from outcomes import selectors
from outcomes.models import ConceptSetRevision, CoreOutcomeSet, Outcome
from outcomes.permissions import is_curator
from outcomes.selectors.mapping import outcome_by_identity, outcome_revisions
from outcomes.services.mapping import MAX_ITEMS, ItemInput, mapping_propose, mapping_review
from outcomes.services.omop_vocabulary import concept_descendants, concepts_by_id, vocabulary_loaded
from outcomes.services.versions import immutability_guard
from outcomes.vocabularies import DOMAIN_CHOICES, VOCABULARY_CHOICES

EXTRA_ROWS = 3
PREVIEW_LIMIT = 50


class ConceptSetForm(forms.Form):
    counts_all_deaths = forms.BooleanField(
        required=False, label="Any death counts (all-cause mortality: any row of the OMOP death table)"
    )
    window_start_day = forms.IntegerField(required=False, label="Window start (days from the index date)")
    window_end_day = forms.IntegerField(required=False, label="Window end (days from the index date)")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("window_start_day"), data.get("window_end_day")
        if (start is None) != (end is None):
            raise forms.ValidationError("Give both ends of the window, or neither.")
        return data

    @property
    def window(self) -> tuple[int, int] | None:
        start = self.cleaned_data.get("window_start_day")
        return None if start is None else (start, self.cleaned_data["window_end_day"])


class ItemForm(forms.Form):
    vocabulary = forms.ChoiceField(choices=[("", "---------"), *VOCABULARY_CHOICES], required=False)
    code = forms.CharField(max_length=50, required=False)
    name = forms.CharField(max_length=255, required=False)
    domain = forms.ChoiceField(choices=[("", "---------"), *DOMAIN_CHOICES], required=False)
    concept_id = forms.IntegerField(required=False, label="OMOP concept id")
    include_descendants = forms.BooleanField(required=False, initial=True)
    include_mapped = forms.BooleanField(required=False)
    is_excluded = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The rows are a table whose header names the columns; each input still needs its own accessible name.
        position = (self.prefix or "").rsplit("-", 1)[-1]
        row = f", row {int(position) + 1}" if position.isdigit() else ""
        for name, field in self.fields.items():
            label = field.label or name.replace("_", " ").capitalize()
            field.widget.attrs["aria-label"] = f"{label}{row}"

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not (data.get("code") or data.get("name") or data.get("vocabulary"))

    def clean(self) -> dict:
        data = super().clean()
        if not self.is_blank:
            for name in ("vocabulary", "code", "domain"):
                if not data.get(name):
                    self.add_error(name, "Required for an item.")
        return data


ItemFormSet = forms.formset_factory(ItemForm, extra=EXTRA_ROWS, max_num=MAX_ITEMS, validate_max=True)


def _outcome(request: HttpRequest, slug: str, identity: uuid.UUID) -> tuple[CoreOutcomeSet, Outcome]:
    if not is_curator(request.user):
        raise PermissionDenied("Only curators map outcomes.")
    cos = get_object_or_404(CoreOutcomeSet, slug=slug)
    outcome = outcome_by_identity(identity, selectors.versions_visible_to(request.user).filter(core_outcome_set=cos))
    if outcome is None:
        raise Http404("No such outcome in this set")
    return cos, outcome


def _initial(revision: ConceptSetRevision | None) -> tuple[dict, list[dict]]:
    if revision is None:
        return {}, []
    head = {
        "counts_all_deaths": revision.counts_all_deaths,
        "window_start_day": revision.window_start_day,
        "window_end_day": revision.window_end_day,
        "note": revision.note,
    }
    items = [
        {
            "vocabulary": i.vocabulary,
            "code": i.code,
            "name": i.name,
            "domain": i.domain,
            "concept_id": i.concept_id,
            "include_descendants": i.include_descendants,
            "include_mapped": i.include_mapped,
            "is_excluded": i.is_excluded,
        }
        for i in revision.items.all()
    ]
    return head, items


def _render(
    request: HttpRequest,
    cos: CoreOutcomeSet,
    outcome: Outcome,
    *,
    form: ConceptSetForm | None = None,
    formset=None,
    status: int = 200,
) -> HttpResponse:
    revisions = outcome_revisions(outcome.identity, include_proposed=True)
    if form is None:
        head, items = _initial(revisions[0] if revisions else None)
        form, formset = ConceptSetForm(initial=head), ItemFormSet(initial=items, prefix="items")
    loaded = vocabulary_loaded()
    preview = None
    raw = request.GET.get("preview", "")
    if loaded and raw.isdigit():
        concept_id = int(raw)
        descendants, total = concept_descendants(concept_id, limit=PREVIEW_LIMIT)
        preview = {
            "concept": concepts_by_id([concept_id]).get(concept_id),
            "concept_id": concept_id,
            "descendants": descendants,
            "total": total,
        }
    context = {
        "cos": cos,
        "outcome": outcome,
        "revisions": revisions,
        "current": next((r for r in revisions if r.is_reviewed), None),
        "pending": revisions[0] if revisions and not revisions[0].is_reviewed else None,
        "form": form,
        "formset": formset,
        "vocabulary_loaded": loaded,
        "preview": preview,
    }
    return render(request, "curation/outcome_mapping.html", context, status=status)


def _put_errors(exc: ValidationError, form: ConceptSetForm, formset, positions: list[int]) -> None:
    """A service refusal's `items.N.field` messages on the formset row that item N came from; the rest on the form."""
    for key, errors in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] == "items" and len(parts) == 3 and int(parts[1]) < len(positions):
            row = formset.forms[positions[int(parts[1])]]
            row.add_error(parts[2] if parts[2] in row.fields else None, errors)
        else:
            form.add_error(None, errors)


def outcome_mapping(request: HttpRequest, slug: str, identity: uuid.UUID) -> HttpResponse:
    cos, outcome = _outcome(request, slug, identity)
    if request.method != "POST":
        return _render(request, cos, outcome)
    form = ConceptSetForm(request.POST)
    formset = ItemFormSet(request.POST, prefix="items")
    if form.is_valid() and formset.is_valid():
        rows = [(k, f.cleaned_data) for k, f in enumerate(formset.forms) if not f.is_blank]
        items = [
            ItemInput(
                vocabulary=data["vocabulary"],
                code=data["code"],
                name=data["name"],
                domain=data["domain"],
                concept_id=data["concept_id"],
                include_descendants=data["include_descendants"],
                include_mapped=data["include_mapped"],
                is_excluded=data["is_excluded"],
            )
            for _, data in rows
        ]
        try:
            proposal = mapping_propose(
                outcome=outcome,
                items=items,
                by=request.user,
                counts_all_deaths=form.cleaned_data["counts_all_deaths"],
                window=form.window,
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _put_errors(exc, form, formset, [k for k, _ in rows])
        else:
            messages.success(request, f"Revision {proposal.revision.number} is proposed; review it to publish it.")
            for warning in proposal.warnings:
                messages.warning(request, warning)
            return redirect("web:outcome-mapping", slug=cos.slug, identity=outcome.identity)
    return _render(request, cos, outcome, form=form, formset=formset, status=400)


@require_POST
def outcome_mapping_review(request: HttpRequest, slug: str, identity: uuid.UUID, number: int) -> HttpResponse:
    cos, outcome = _outcome(request, slug, identity)
    revision = get_object_or_404(ConceptSetRevision, outcome_identity=outcome.identity, number=number)
    try:
        with immutability_guard():
            mapping_review(revision=revision, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"Revision {number} is reviewed; the exports use it from now on.")
    return redirect("web:outcome-mapping", slug=cos.slug, identity=outcome.identity)
