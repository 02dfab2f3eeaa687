"""Serializers of the facilitator's side of the consensus API (outcomes/api/consensus/facilitator.py) and the shapes
both sides share; the panel's own are in panel_serializers.py. Output shapes are built from selector results; nothing
here queries."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from outcomes.api.common import StrictInputMixin, StrictSerializer
from outcomes.models import (
    ConsensusProcess,
    ContentTranslation,
    CoreOutcomeSet,
    Instrument,
    Item,
    ItemResult,
    Round,
    StakeholderGroup,
    Suggestion,
)
from outcomes.services.consensus import DEFINITION_FIELDS, SETTING_FIELDS
from outcomes.services.tally import RESULT_FIELDS


class GroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = ["id", "name"]


class RoundSerializer(serializers.ModelSerializer):
    item_count = serializers.IntegerField(read_only=True)
    invited = serializers.IntegerField(read_only=True)
    completed = serializers.IntegerField(read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "number",
            "kind",
            "status",
            "allow_suggestions",
            "opens_at",
            "closes_at",
            "opened_at",
            "closed_at",
            "tallied_at",
            "item_count",
            "invited",
            "completed",
        ]


class ItemOptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    definition = serializers.CharField()
    instrument = serializers.CharField(source="instrument.acronym", default=None, allow_null=True)


class RoundItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The round item: what the meeting's live counts endpoint takes")
    item_id = serializers.IntegerField()
    name = serializers.CharField(source="item.name")
    kind = serializers.CharField(source="item.kind")
    outcome_item = serializers.IntegerField(source="item.outcome_item_id", allow_null=True)
    instrument = serializers.CharField(source="item.instrument.acronym", default=None, allow_null=True)
    timing = serializers.CharField(source="item.timing")
    options = ItemOptionSerializer(source="item.options.all", many=True)
    live_include = serializers.IntegerField(allow_null=True, help_text="Meeting rounds: the show of hands")
    live_exclude = serializers.IntegerField(allow_null=True)
    live_abstain = serializers.IntegerField(allow_null=True)


class RoundDetailSerializer(RoundSerializer):
    items = RoundItemSerializer(source="round_items.all", many=True, read_only=True)

    class Meta(RoundSerializer.Meta):
        fields = [*RoundSerializer.Meta.fields, "items"]


class RoundCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Round.Kind.choices, default=Round.Kind.DELPHI)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    allow_suggestions = serializers.BooleanField(required=False, allow_null=True, default=None)


class ProcessSerializer(serializers.ModelSerializer):
    core_outcome_set = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    draft_version = serializers.CharField(source="draft_version.version", read_only=True)
    status = serializers.CharField(read_only=True, help_text="setup, running, meeting, finalised or published")
    languages = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Language codes panelists may answer in"
    )
    panelist_count = serializers.IntegerField(read_only=True)
    round_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ConsensusProcess
        fields = [
            "id",
            "title",
            "core_outcome_set",
            "draft_version",
            "status",
            "is_demo",
            "rule_scope",
            "in_high_min_pct",
            "in_low_max_pct",
            "out_low_min_pct",
            "out_high_max_pct",
            "meeting_include_min_pct",
            "definition_locked_at",
            "next_round_invitees",
            "carry_forward",
            "reminder_days_before_close",
            "invitation_valid_days",
            "languages",
            "panelist_count",
            "round_count",
        ]


class ProcessCreateSerializer(StrictSerializer):
    core_outcome_set = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CoreOutcomeSet.objects.all(),
        help_text="The slug of the set whose next version the process agrees",
    )
    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class ProcessDetailSerializer(ProcessSerializer):
    groups = GroupSerializer(many=True, read_only=True)
    rounds = RoundSerializer(many=True, read_only=True, source="round_rows")

    class Meta(ProcessSerializer.Meta):
        fields = [*ProcessSerializer.Meta.fields, "description", "consent_text", "groups", "rounds"]


class ProcessUpdateSerializer(StrictInputMixin, serializers.ModelSerializer):
    """A partial update of the consensus definition and the settings: exactly the fields process_update takes."""

    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=settings.LANGUAGES),
        required=False,
        help_text="The languages panelists may answer in; English (the reference wording) is always one.",
    )

    class Meta:
        model = ConsensusProcess
        fields = [*DEFINITION_FIELDS, *SETTING_FIELDS]
        extra_kwargs = {
            **{
                name: {
                    "min_value": 1,
                    "max_value": 100,
                    "help_text": "A whole percentage, 1-100; locked once round 1 opens",
                }
                for name in DEFINITION_FIELDS
                if name.endswith("_pct")
            },
            "invitation_valid_days": {"min_value": 1, "max_value": 365},
            "reminder_days_before_close": {"max_value": 32767},  # the column's range, on every database
        }


class ItemResultSerializer(serializers.ModelSerializer):
    group = serializers.CharField(
        source="group.name",
        default=None,
        read_only=True,
        allow_null=True,
        help_text="The stakeholder group's name; null for the result over all panelists.",
    )

    class Meta:
        model = ItemResult
        # Exactly what the tally computes, so a new result field reaches the API without a second list.
        fields = ["group", *(name for name in RESULT_FIELDS if name != "computed_at")]


class RoundItemResultSerializer(serializers.Serializer):
    round_item_id = serializers.IntegerField(source="pk", help_text="What a meeting's live counts are recorded on.")
    item_id = serializers.IntegerField()
    name = serializers.CharField(source="item.name")
    kind = serializers.CharField(source="item.kind")
    results = ItemResultSerializer(many=True)


# --- Panelists --------------------------------------------------------------------------------------------------


class FacilitatorGroupSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    order = serializers.IntegerField(read_only=True)
    panelist_count = serializers.IntegerField(read_only=True, help_text="A group with panelists cannot be removed")


class CsvUploadSerializer(StrictSerializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service says what is wrong with an empty file, like any other problem
        help_text="UTF-8 CSV, at most 1 MB and 2,000 rows: a header naming name, definition and domains",
    )


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.CharField(read_only=True, help_text="outcome, definition, instrument or alternatives")
    name = serializers.CharField()
    definition = serializers.CharField()
    outcome_item = serializers.IntegerField(source="outcome_item_id", allow_null=True)
    instrument = serializers.CharField(
        source="instrument.acronym", default=None, allow_null=True, help_text="Instrument items: its acronym"
    )
    timing = serializers.CharField(help_text="Instrument and alternatives items: when it is measured")
    options = ItemOptionSerializer(source="options.all", many=True, help_text="Alternatives items: the options")
    source = serializers.CharField()
    domains = serializers.SerializerMethodField(help_text="COMET domain numbers")
    order = serializers.IntegerField()
    was_rated = serializers.BooleanField(
        read_only=True, help_text="It has been in an opened round: its wording can no longer be edited"
    )

    def get_domains(self, item) -> list[int]:
        return sorted(d.number for d in item.domains.all())


def _instrument_field(**kwargs) -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(
        slug_field="acronym",
        queryset=Instrument.objects.all(),
        error_messages={"does_not_exist": "No instrument of the registry has the acronym {value!r}."},
        **kwargs,
    )


class OptionCreateSerializer(StrictSerializer):
    label = serializers.CharField(max_length=300)
    definition = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    instrument = _instrument_field(
        required=False, allow_null=True, default=None, help_text="The acronym of an instrument of the registry"
    )


class ItemCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=300)
    definition = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    domains = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=38,
        help_text="COMET domain numbers",
    )
    kind = serializers.ChoiceField(choices=Item.Kind.choices, default=Item.Kind.OUTCOME)
    outcome_item = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The outcome item a definition, instrument or alternatives item is about",
    )
    instrument = _instrument_field(
        required=False,
        allow_null=True,
        default=None,
        help_text="Instrument items (required): the acronym of an instrument of the registry, e.g. KCCQ-12",
    )
    timing = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=300,
        help_text="Instrument and alternatives items: when the outcome is measured",
    )
    options = OptionCreateSerializer(
        many=True,
        required=False,
        default=list,
        max_length=50,
        help_text="Alternatives items (at least two): the options the panel chooses from",
    )


class ItemUpdateSerializer(StrictSerializer):
    read_only_names = ("id", "process", "kind", "outcome_item", "instrument", "timing", "options", "source", "order")
    name = serializers.CharField(required=False, max_length=300)
    definition = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    domains = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=38)


class PanelistSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    email = serializers.EmailField()
    name = serializers.CharField()
    group = GroupSerializer(allow_null=True)
    language = serializers.CharField(help_text="The language the panelist reads the panel and emails in")
    invited_at = serializers.DateTimeField(allow_null=True)
    consented_at = serializers.DateTimeField(allow_null=True)
    link_expires_at = serializers.DateTimeField(source="token_expires_at")
    link_revoked_at = serializers.DateTimeField(source="token_revoked_at", allow_null=True)
    link_status = serializers.CharField(read_only=True, help_text="active, expired or revoked")


class PanelistInviteSerializer(StrictSerializer):
    email = serializers.EmailField()
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    group_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class FacilitatorSuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round.number")
    panelist = serializers.CharField(source="panelist.code")
    name = serializers.CharField()
    definition = serializers.CharField()
    rationale = serializers.CharField()
    status = serializers.CharField()
    reason = serializers.CharField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    resulting_item = serializers.IntegerField(source="resulting_item_id", allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SuggestionDecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(
        choices=[(v, label) for v, label in Suggestion.Status.choices if v != Suggestion.Status.PENDING]
    )
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    merge_into = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="An item id")
    domains = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=38,
        help_text="COMET domain numbers of the new item (when accepting)",
    )


class LiveCountsSerializer(StrictSerializer):
    include = serializers.IntegerField(min_value=0)
    exclude = serializers.IntegerField(min_value=0)
    abstain = serializers.IntegerField(min_value=0)


class RoundItemCountsSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    name = serializers.CharField(source="item.name")
    include = serializers.IntegerField(source="live_include", allow_null=True)
    exclude = serializers.IntegerField(source="live_exclude", allow_null=True)
    abstain = serializers.IntegerField(source="live_abstain", allow_null=True)


class VersionResultSerializer(serializers.Serializer):
    version = serializers.CharField()
    status = serializers.CharField()
    outcome_count = serializers.IntegerField()


class TranslationSerializer(serializers.ModelSerializer):
    object_type = serializers.CharField(source="target_kind", help_text="process, group, item or option")
    object_id = serializers.IntegerField(source="target_id")
    reviewed_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = ContentTranslation
        fields = [
            "object_type",
            "object_id",
            "field",
            "language",
            "text",
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "updated_at",
        ]


class MissingTranslationSerializer(serializers.Serializer):
    object_type = serializers.CharField(source="kind")
    object_id = serializers.IntegerField()
    label = serializers.CharField()
    field = serializers.CharField()
    language = serializers.CharField()


class ProcessTranslationsSerializer(serializers.Serializer):
    languages = serializers.ListField(child=serializers.CharField())
    translations = TranslationSerializer(many=True)
    missing = MissingTranslationSerializer(
        many=True, help_text="Texts without a reviewed translation; a round with any of them cannot open."
    )


class TranslationWriteSerializer(StrictSerializer):
    object_type = serializers.ChoiceField(choices=["process", "group", "item", "option"])
    object_id = serializers.IntegerField(min_value=1)
    field = serializers.ChoiceField(choices=["title", "description", "consent_text", "name", "definition", "label"])
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    text = serializers.CharField(
        allow_blank=True, max_length=20000, trim_whitespace=True, help_text="Empty: delete the translation"
    )
    reviewed = serializers.BooleanField(
        default=False, help_text="You checked the text: the translation counts for opening a round"
    )
