"""Forms of the panel and facilitator pages. They validate input; the services decide."""

from __future__ import annotations

from django import forms

from outcomes.models import ConsensusProcess, CoreOutcomeSet, Item, Round, StakeholderGroup, Suggestion
from outcomes.services.consensus import DEFINITION_FIELDS, SETTING_FIELDS


class ProcessCreateForm(forms.Form):
    core_outcome_set = forms.ModelChoiceField(
        queryset=CoreOutcomeSet.objects.order_by("title"), label="Core outcome set to agree (new version)"
    )
    title = forms.CharField(max_length=300)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class ConsentForm(forms.Form):
    consent = forms.BooleanField(label="I have read the information above and agree to take part.")
    group = forms.ModelChoiceField(
        queryset=StakeholderGroup.objects.none(), widget=forms.RadioSelect, label="I take part as", required=True
    )

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = process.groups.all()


class SuggestionForm(forms.Form):
    name = forms.CharField(max_length=300, label="Outcome you suggest")
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="What it means")
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Why it matters")


class DefinitionForm(forms.ModelForm):
    class Meta:
        model = ConsensusProcess
        fields = list(DEFINITION_FIELDS)  # the fields process_update locks once round 1 opens


class SettingsForm(forms.ModelForm):
    class Meta:
        model = ConsensusProcess
        fields = list(SETTING_FIELDS)


class ItemEditForm(forms.Form):
    """What item_update may change: the wording and the domains of a candidate not yet rated."""

    name = forms.CharField(max_length=300)
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    domains = forms.CharField(label="COMET domain numbers", help_text="e.g. 3; 9", required=False, max_length=100)

    @classmethod
    def initial_for(cls, item: Item) -> dict:
        return {
            "name": item.name,
            "definition": item.definition,
            "domains": "; ".join(str(d.number) for d in sorted(item.domains.all(), key=lambda d: d.number)),
        }

    def clean_domains(self) -> list[int]:
        raw = [p.strip() for p in self.cleaned_data["domains"].replace(",", ";").split(";") if p.strip()]
        if any(not p.isdecimal() for p in raw):
            raise forms.ValidationError("Give COMET domain numbers separated by semicolons.")
        return [int(p) for p in raw]


class ItemForm(ItemEditForm):
    kind = forms.ChoiceField(choices=Item.Kind.choices, initial=Item.Kind.OUTCOME)
    outcome_item = forms.ModelChoiceField(
        queryset=Item.objects.none(), required=False, label="About the outcome (definition and instrument items)"
    )

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome_item"].queryset = process.items.filter(kind=Item.Kind.OUTCOME)


class CsvImportForm(forms.Form):
    file = forms.FileField(label="CSV file (columns: name, definition, domains)")


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
    domains = forms.CharField(required=False, max_length=100, label="COMET domains (when accepting)")

    def __init__(self, *args, process: ConsensusProcess, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["merge_into"].queryset = process.items.filter(kind=Item.Kind.OUTCOME)

    def clean_domains(self) -> list[int]:
        raw = [p.strip() for p in self.cleaned_data["domains"].replace(",", ";").split(";") if p.strip()]
        if any(not p.isdecimal() for p in raw):
            raise forms.ValidationError("Give COMET domain numbers separated by semicolons.")
        return [int(p) for p in raw]


class LiveCountsForm(forms.Form):
    include = forms.IntegerField(min_value=0)
    exclude = forms.IntegerField(min_value=0)
    abstain = forms.IntegerField(min_value=0)
