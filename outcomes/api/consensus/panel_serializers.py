"""Serializers of the panel's side of the consensus API (outcomes/api/consensus/panel.py): a panelist's rounds,
items and feedback, the round submission and its fast validation, consent and suggestions. Nothing here queries."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from outcomes.api.common import StrictInputMixin, StrictSerializer
from outcomes.api.consensus.serializers import GroupSerializer
from outcomes.exports.json import LocalizedTextSerializer
from outcomes.models import Rating, Suggestion
from outcomes.selectors.translations import localized


class RatingEntrySerializer(StrictSerializer):
    item_id = serializers.IntegerField(min_value=1)
    score = serializers.IntegerField(min_value=1, max_value=9, required=False, allow_null=True, default=None)
    unable_to_score = serializers.BooleanField(required=False, default=False)
    option_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    vote = serializers.ChoiceField(choices=Rating.Vote.choices, required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    proposed_wording = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)

    def validate(self, attrs: dict) -> dict:
        if attrs.get("score") is not None and attrs.get("unable_to_score"):
            raise serializers.ValidationError({"unable_to_score": "Give a score or 'unable to score', not both."})
        return attrs


class RoundSubmissionSerializer(StrictSerializer):
    ratings = RatingEntrySerializer(many=True, allow_empty=False, max_length=1000)
    complete = serializers.BooleanField(
        default=False, help_text="true submits the round (every item must be answered); false saves progress."
    )


_VOTES = frozenset(["", *Rating.Vote.values])
_ENTRY_FIELDS = frozenset(RatingEntrySerializer().fields)


def _plain_entry(entry: object) -> dict | None:
    """The validated form of a rating in the plain shape nearly every submission has (JSON ints, booleans, a vote;
    no text), exactly as RatingEntrySerializer would give it; None for anything else, which DRF then validates."""
    if type(entry) is not dict or not entry.keys() <= _ENTRY_FIELDS:  # an unknown field is DRF's 400 to name
        return None
    item_id = entry.get("item_id")
    score = entry.get("score")
    unable = entry.get("unable_to_score", False)
    option_id = entry.get("option_id")
    vote = entry.get("vote", "")
    if (
        type(item_id) is not int
        or item_id < 1
        or (score is not None and (type(score) is not int or not 1 <= score <= 9))
        or type(unable) is not bool
        or (unable and score is not None)
        or (option_id is not None and type(option_id) is not int)
        or type(vote) is not str
        or vote not in _VOTES
        # Text goes through DRF's CharField: trimming, length, NUL and surrogate characters.
        or entry.get("comment", "") != ""
        or entry.get("proposed_wording", "") != ""
    ):
        return None
    return {
        "item_id": item_id,
        "score": score,
        "unable_to_score": unable,
        "option_id": option_id,
        "vote": vote,
        "comment": "",
        "proposed_wording": "",
    }


def round_submission_validate(data: object) -> dict:
    """RoundSubmissionSerializer's validated data, without running 100 nested serializers for a plain round.

    A whole round is 100 ratings in one request; validating each through DRF's nested serializer was the largest
    part of a submission's CPU (docs/performance.md). Ratings in the plain shape are checked here; any other rating
    goes through RatingEntrySerializer, and if anything is wrong the whole body goes through
    RoundSubmissionSerializer, so the error messages (and every accepted value) are DRF's own.
    tests/outcomes/consensus/test_submission_validation.py checks the two agree on generated bodies.
    """
    if type(data) is dict and data.keys() <= {"ratings", "complete"}:
        ratings = data.get("ratings")
        complete = data.get("complete", False)
        if type(ratings) is list and 0 < len(ratings) <= 1000 and type(complete) is bool:
            validated = []
            for entry in ratings:
                plain = _plain_entry(entry)
                if plain is None:
                    serializer = RatingEntrySerializer(data=entry)
                    if not serializer.is_valid():
                        break
                    plain = dict(serializer.validated_data)
                validated.append(plain)
            else:
                return {"ratings": validated, "complete": complete}
    serializer = RoundSubmissionSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class SubmissionResultSerializer(serializers.Serializer):
    saved = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class OwnRatingSerializer(serializers.Serializer):
    score = serializers.IntegerField(allow_null=True)
    unable_to_score = serializers.BooleanField()
    option_id = serializers.IntegerField(allow_null=True)
    vote = serializers.CharField()
    comment = serializers.CharField()
    proposed_wording = serializers.CharField()
    is_draft = serializers.BooleanField(help_text="Saved progress, not counted until the round is submitted again.")
    submitted_at = serializers.DateTimeField(allow_null=True, help_text="When this answer was submitted.")


class FeedbackSerializer(serializers.Serializer):
    group = serializers.CharField()
    n = serializers.IntegerField()
    distribution = serializers.ListField(child=serializers.IntegerField(), source="bins", help_text="counts of 1..9")
    pct_low = serializers.DecimalField(max_digits=5, decimal_places=2)
    pct_mid = serializers.DecimalField(max_digits=5, decimal_places=2)
    pct_high = serializers.DecimalField(max_digits=5, decimal_places=2)
    median = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)


class OptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    definition = serializers.CharField()


class PanelItemSerializer(serializers.Serializer):
    item_id = serializers.IntegerField(source="item.id")
    kind = serializers.CharField(source="item.kind", help_text="outcome, definition, instrument or alternatives")
    name = serializers.CharField(source="item.name")
    definition = serializers.CharField(source="item.definition")
    options = OptionSerializer(source="item.options.all", many=True)
    rating = OwnRatingSerializer(allow_null=True)
    previous_rating = OwnRatingSerializer(allow_null=True)
    feedback = FeedbackSerializer(many=True, help_text="The previous round's distribution per stakeholder group.")
    localized = serializers.SerializerMethodField(
        help_text="The name and definition in the panelist's language (English where no reviewed translation exists)."
    )

    @extend_schema_field(LocalizedTextSerializer)
    def get_localized(self, panel_item) -> dict:
        language = self.context.get("language", settings.REFERENCE_LANGUAGE)
        name, definition = (
            localized(panel_item.item, "name", language),
            localized(panel_item.item, "definition", language),
        )
        return {
            "name": name.text,
            "name_language": name.language,
            "definition": definition.text,
            "definition_language": definition.language,
        }


class PanelRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField(source="round.number")
    kind = serializers.CharField(source="round.kind")
    status = serializers.CharField(source="round.status")
    closes_at = serializers.DateTimeField(source="round.closes_at", allow_null=True)
    allow_suggestions = serializers.BooleanField(source="round.allow_suggestions")
    completed_at = serializers.DateTimeField(source="participation.completed_at", allow_null=True, default=None)
    items = PanelItemSerializer(many=True)


class PanelRoundSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    closes_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)


class PanelMeSerializer(serializers.Serializer):
    code = serializers.CharField()
    process = serializers.CharField()
    description = serializers.CharField()
    consent_text = serializers.CharField()
    consented_at = serializers.DateTimeField(allow_null=True)
    group = GroupSerializer(allow_null=True)
    groups = GroupSerializer(many=True)
    rounds = PanelRoundSummarySerializer(many=True)
    language = serializers.CharField(help_text="The language the panelist reads the panel and emails in.")
    languages = serializers.ListField(child=serializers.CharField(), help_text="The languages of the study.")


class ConsentSerializer(StrictSerializer):
    consent = serializers.BooleanField()
    group_id = serializers.IntegerField(required=False, allow_null=True)
    language = serializers.CharField(
        required=False, max_length=8, help_text="One of the study's languages; pages and emails follow it."
    )

    def validate_consent(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("You must consent to take part.")
        return value


class SuggestionSerializer(StrictInputMixin, serializers.ModelSerializer):
    round = serializers.IntegerField(source="round.number", read_only=True)
    status = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)
    merged_into = serializers.CharField(source="merged_into.name", default=None, read_only=True)

    class Meta:
        model = Suggestion
        fields = ["id", "round", "name", "definition", "rationale", "status", "reason", "merged_into", "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"name": {"max_length": 300}}


# --- Facilitators: groups, candidates, panelists, suggestions, meeting ------------------------------------------
