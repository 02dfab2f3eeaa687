"""Forms of the website: search with facets, the pick-two-sets form of compare, the version lifecycle forms
(publish, withdraw; the admin's actions use them too), and how a service's refusal lands on a form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreArea, CoreOutcomeSet, OutcomeDomain
from outcomes.search.generation import kept, shared
from outcomes.search.query import search_query
from outcomes.selectors.public import COUNTS_CACHE_SECONDS, public_set_queryset, publication_years
from outcomes.selectors.registry import PUBLIC_STATUSES, Status
from outcomes.selectors.search import set_search
from outcomes.web.widgets import PlainSelect


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=200, required=False)
    area = forms.ChoiceField(label="Disease area", required=False, widget=PlainSelect)
    condition = forms.ChoiceField(label="Condition", required=False, widget=PlainSelect)
    domain = forms.TypedChoiceField(
        label="COMET domain", required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    status = forms.ChoiceField(label="Status", required=False, widget=PlainSelect)
    year = forms.TypedChoiceField(
        label="Publication year", required=False, coerce=int, empty_value=None, widget=PlainSelect
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", "Any")]
        # The areas, conditions and domains change only with an edit that starts a new search generation.
        areas, conditions, domains = kept("search form choices", _facet_choices)
        self.fields["area"].choices = anything + areas
        self.fields["condition"].choices = anything + conditions
        self.fields["domain"].choices = anything + domains
        self.fields["status"].choices = anything + [(s, Status(s).label) for s in PUBLIC_STATUSES]
        # The years change only when a version is published, which starts a new search generation.
        years = shared("publication-years", publication_years, COUNTS_CACHE_SECONDS)
        self.fields["year"].choices = anything + [(y, str(y)) for y in years]

    def filters(self) -> dict:
        """The valid filters; an invalid one is reported by the form and left out of the search."""
        data = getattr(self, "cleaned_data", {})
        return {
            name: data.get(name) for name in ("q", "area", "condition", "domain", "status", "year") if data.get(name)
        }


def _facet_choices() -> tuple[list, list, list]:
    """The search form's disease areas, conditions and COMET domains (grouped by core area), as choices."""
    areas = [(a.slug, a.name) for a in DiseaseArea.objects.order_by("name")]
    conditions = [(c.slug, c.name) for c in Condition.objects.order_by("name")]
    found = list(OutcomeDomain.objects.order_by("number"))
    domains = [
        (label, [(d.number, f"{d.number}. {d.name}") for d in found if d.core_area == value])
        for value, label in CoreArea.choices
    ]
    return areas, conditions, domains


NO_SUCH_SET = "There is no public core outcome set with that name; pick one from the list."
# How many sets a picker offers for what was typed (with or without JavaScript): never the whole registry.
PICKER_CHOICES = 10


class CompareForm(forms.Form):
    """Two sets, each picked by searching: `a_q`/`b_q` is what was typed, `a`/`b` the slug of the set picked.

    With JavaScript the text field is a search-as-you-type combobox (static/js/set-picker.js) that fills the slug.
    Without it, submitting the typed words finds the matching sets: one is taken as it is, several are offered as a
    choice (`candidates`), at most PICKER_CHOICES of them.
    """

    a_q = forms.CharField(label="First set", max_length=200, required=False)
    a = forms.CharField(max_length=120, required=False)
    b_q = forms.CharField(label="Second set", max_length=200, required=False)
    b = forms.CharField(max_length=120, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.candidates: dict[str, list[CoreOutcomeSet]] = {"a": [], "b": []}

    def _pick(self, side: str) -> CoreOutcomeSet | None:
        slug = self.cleaned_data.get(side, "").strip()
        typed = self.cleaned_data.get(f"{side}_q", "").strip()
        if slug:
            cos = public_set_queryset().select_related(None).prefetch_related(None).filter(slug=slug).first()
            if cos is None:
                raise forms.ValidationError(NO_SUCH_SET)
            return cos
        if not typed:
            raise forms.ValidationError(forms.Field.default_error_messages["required"])
        query = search_query(typed)
        found = list(set_search(query=query).select_related(None).prefetch_related(None)[: PICKER_CHOICES + 1])
        if query.is_empty or not found:
            raise forms.ValidationError("No public set matches “%(typed)s”.", params={"typed": typed})
        if len(found) == 1:
            return found[0]
        self.candidates[side] = found[:PICKER_CHOICES]
        raise forms.ValidationError("Several sets match “%(typed)s”: pick one below.", params={"typed": typed})

    def clean_a(self) -> CoreOutcomeSet | None:
        return self._pick("a")

    def clean_b(self) -> CoreOutcomeSet | None:
        return self._pick("b")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("a") and data.get("b") and data["a"].pk == data["b"].pk:
            raise forms.ValidationError("Pick two different sets to compare.")
        return data


def _with_counts(choices: list, counts) -> list:
    labelled = []
    for value, label in choices:
        if isinstance(label, list | tuple):  # an option group
            labelled.append((value, _with_counts(label, counts)))
        elif value in ("", None):
            labelled.append((value, label))
        else:
            labelled.append((value, f"{label} ({counts.get(value, 0)})"))
    return labelled


def search_form_with_counts(form: SearchForm, facets) -> SearchForm:
    """Label every facet option with how many of the current results have it."""
    for name, counts in (
        ("area", facets.areas),
        ("condition", facets.conditions),
        ("domain", facets.domains),
        ("status", facets.statuses),
        ("year", facets.years),
    ):
        form.fields[name].choices = _with_counts(list(form.fields[name].choices), counts)
    return form


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


class DOIForm(forms.Form):
    doi = forms.CharField(
        label="DOI of this version",
        required=False,
        max_length=200,
        help_text="The DOI minted for this version, e.g. 10.1234/abc (a https://doi.org/ link is accepted). "
        "Leave empty to clear a wrong one. Recorded in the audit log.",
    )


def form_add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on `form`: each message on the field it names when the form has that field,
    otherwise (or when it names none) on the form as a whole."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
