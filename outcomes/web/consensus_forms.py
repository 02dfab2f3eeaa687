"""Forms of the panel and facilitator pages. They validate input; the services decide."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from outcomes.models import ConsensusProcess, CoreOutcomeSet, Instrument, Item, Round, StakeholderGroup, Suggestion
from outcomes.selectors.translations import language_name, localized
from outcomes.services.consensus import DEFINITION_FIELDS, SETTING_FIELDS, OptionInput


class DomainNumbersField(forms.CharField):
    """COMET domain numbers typed as "3; 9" (commas also separate them), cleaned to a list of ints; the service
    checks that each names a domain."""

    def __init__(self, **kwargs) -> None:
        super().__init__(required=False, max_length=100, **kwargs)

    def clean(self, value: str | None) -> list[int]:
        text = super().clean(value)
        numbers = [part.strip() for part in text.replace(",", ";").split(";") if part.strip()]
        if any(not number.isdecimal() for number in numbers):
            raise forms.ValidationError("Give COMET domain numbers separated by semicolons.")
        return [int(number) for number in numbers]


class ProcessCreateForm(forms.Form):
    core_outcome_set = forms.ModelChoiceField(
        queryset=CoreOutcomeSet.objects.order_by("title"), label="Core outcome set to agree (new version)"
    )
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class GroupChoiceField(forms.ModelChoiceField):
    """A stakeholder group, labelled in the page's language."""

    def label_from_instance(self, obj: StakeholderGroup) -> str:
        return localized(obj, "name").text


class ConsentForm(forms.Form):
    consent = forms.BooleanField(label=_("I have read the information above and agree to take part."))
    group = GroupChoiceField(
        queryset=StakeholderGroup.objects.none(), widget=forms.RadioSelect, label=_("I take part as"), required=True
    )
    # Optional: without it the panelist keeps the language they read the page in.
    language = forms.ChoiceField(label=_("Language of the study pages and emails"), choices=(), required=False)

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = process.groups.prefetch_related("translations")
        self.fields["language"].choices = [(code, language_name(code)) for code in process.languages]


class SuggestionForm(forms.Form):
    name = forms.CharField(max_length=300, label=_("Outcome you suggest"))
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("What it means"))
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Why it matters"))


class DefinitionForm(forms.ModelForm):
    class Meta:
        model = ConsensusProcess
        fields = list(DEFINITION_FIELDS)  # the fields process_update locks once round 1 opens


class SettingsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        choices=settings.LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
        help_text="The languages panelists may answer in. English is the reference wording and always included; "
        "every other language needs a reviewed translation of each text before a round opens.",
    )

    class Meta:
        model = ConsensusProcess
        fields = list(SETTING_FIELDS)


class ItemEditForm(forms.Form):
    """What item_update may change: the wording and the domains of a candidate not yet rated."""

    name = forms.CharField(max_length=300)
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    domains = DomainNumbersField(label="COMET domain numbers", help_text="e.g. 3; 9")

    @classmethod
    def initial_for(cls, item: Item) -> dict:
        return {
            "name": item.name,
            "definition": item.definition,
            "domains": "; ".join(str(d.number) for d in sorted(item.domains.all(), key=lambda d: d.number)),
        }


def _instrument_by_acronym(acronym: str) -> Instrument | None:
    if not acronym:
        return None
    instrument = Instrument.objects.filter(acronym=acronym).first()
    if instrument is None:
        raise forms.ValidationError(f"No instrument of the registry has the acronym {acronym!r}.")
    return instrument


class ItemForm(ItemEditForm):
    kind = forms.ChoiceField(choices=Item.Kind.choices, initial=Item.Kind.OUTCOME)
    outcome_item = forms.ModelChoiceField(
        queryset=Item.objects.none(),
        required=False,
        label="About the outcome (definition, instrument and alternatives items)",
    )
    instrument = forms.CharField(
        required=False, max_length=60, label="Instrument (instrument items)", help_text="Its acronym, e.g. KCCQ-12"
    )
    timing = forms.CharField(
        required=False, max_length=300, label="Timing (instrument and alternatives items)", help_text="e.g. 12 months"
    )
    options = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Options (alternatives items, at least two)",
        help_text="One option a line: label | definition | instrument acronym (definition and instrument optional)",
    )

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome_item"].queryset = process.items.filter(kind=Item.Kind.OUTCOME)

    def clean_instrument(self) -> Instrument | None:
        return _instrument_by_acronym(self.cleaned_data["instrument"].strip())

    def clean_options(self) -> list[OptionInput]:
        options = []
        for line in self.cleaned_data["options"].splitlines():
            if not line.strip():
                continue
            label, definition, acronym = [*(part.strip() for part in line.split("|")), "", ""][:3]
            if line.count("|") > 2:
                raise forms.ValidationError(f"{line.strip()!r}: at most three parts, label | definition | instrument.")
            options.append(OptionInput(label=label, definition=definition, instrument=_instrument_by_acronym(acronym)))
        return options


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file")


class InviteForm(forms.Form):
    email = forms.EmailField()
    name = forms.CharField(max_length=200, required=False)
    group = forms.ModelChoiceField(queryset=StakeholderGroup.objects.none(), required=False, label="Group (optional)")

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = process.groups.all()


class GroupForm(forms.Form):
    name = forms.CharField(max_length=120, label="New stakeholder group")


class GroupRenameForm(forms.Form):
    name = forms.CharField(max_length=120, label="Name")


class RoundCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=Round.Kind.choices, initial=Round.Kind.DELPHI)
    closes_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="Closes at (UTC)"
    )


class SuggestionDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[(v, label) for v, label in Suggestion.Status.choices if v != Suggestion.Status.PENDING]
    )
    merge_into = forms.ModelChoiceField(queryset=Item.objects.none(), required=False)
    reason = forms.CharField(required=False, max_length=2000)
    domains = DomainNumbersField(label="COMET domains (when accepting)")

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merge_into"].queryset = process.items.filter(kind=Item.Kind.OUTCOME)


class LiveCountsForm(forms.Form):
    include = forms.IntegerField(min_value=0)
    exclude = forms.IntegerField(min_value=0)
    abstain = forms.IntegerField(min_value=0)


class TranslationForm(forms.Form):
    """One text in one language; the service checks that the target is the process's and the field translatable."""

    object_type = forms.ChoiceField(choices=[(k, k) for k in ("process", "group", "item", "option")])
    object_id = forms.IntegerField(min_value=1)
    field = forms.ChoiceField(
        choices=[(f, f) for f in ("title", "description", "consent_text", "name", "definition", "label")]
    )
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=20000)
    reviewed = forms.BooleanField(required=False, label="Reviewed: I checked this translation")
