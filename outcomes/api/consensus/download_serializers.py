"""Serializers that document the consensus downloads (outcomes.exports.consensus's documents) in the schema."""

from __future__ import annotations

from rest_framework import serializers


class DownloadProcessSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    is_demo = serializers.BooleanField()


class RatingRowSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    round_kind = serializers.CharField(help_text="delphi or meeting")
    round_item_id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    item = serializers.CharField()
    item_kind = serializers.CharField()
    source = serializers.CharField(help_text="panelist: one submitted answer; live: a show of hands at the meeting")
    panelist_code = serializers.CharField(allow_null=True)
    stakeholder_group = serializers.CharField(allow_null=True)
    score = serializers.IntegerField(allow_null=True)
    unable_to_score = serializers.BooleanField()
    option_id = serializers.IntegerField(allow_null=True)
    option = serializers.CharField(allow_null=True)
    vote = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(help_text="1 for a panelist's answer; the number of hands on a live row")
    submitted_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField(allow_blank=True)
    proposed_wording = serializers.CharField(allow_blank=True)


class RatingsDownloadSerializer(serializers.Serializer):
    process = DownloadProcessSerializer()
    ratings = RatingRowSerializer(many=True)


class DefinitionSerializer(serializers.Serializer):
    rule_scope = serializers.CharField()
    in_high_min_pct = serializers.IntegerField()
    in_low_max_pct = serializers.IntegerField()
    out_low_min_pct = serializers.IntegerField()
    out_high_max_pct = serializers.IntegerField()
    meeting_include_min_pct = serializers.IntegerField()
    definition_locked_at = serializers.DateTimeField(allow_null=True)


def _pct(help_text: str = "") -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True, help_text=help_text)


class ResultRowSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    round_kind = serializers.CharField()
    round_item_id = serializers.IntegerField()
    item_id = serializers.IntegerField()
    item = serializers.CharField()
    item_kind = serializers.CharField()
    group = serializers.CharField(help_text='A stakeholder group, or "All panelists"')
    n = serializers.IntegerField(help_text="Delphi: panelists who scored; meeting: votes cast")
    n_unable = serializers.IntegerField(allow_null=True)
    n_1_3 = serializers.IntegerField(allow_null=True)
    n_4_6 = serializers.IntegerField(allow_null=True)
    n_7_9 = serializers.IntegerField(allow_null=True)
    pct_1_3 = _pct()
    pct_4_6 = _pct()
    pct_7_9 = _pct()
    median = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    q1 = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    q3 = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    n_include = serializers.IntegerField(allow_null=True)
    n_exclude = serializers.IntegerField(allow_null=True)
    n_abstain = serializers.IntegerField(allow_null=True)
    votes_cast = serializers.IntegerField(allow_null=True)
    pct_include = _pct("Meeting: 100 x include / votes cast")
    distribution = serializers.DictField()
    classification = serializers.CharField(help_text="in, out or none")


class ResultsDownloadSerializer(serializers.Serializer):
    process = DownloadProcessSerializer()
    definition = DefinitionSerializer()
    results = ResultRowSerializer(many=True)


class ReportProcessSerializer(DownloadProcessSerializer):
    core_outcome_set = serializers.CharField(help_text="The set's slug")
    version = serializers.CharField(help_text="The version the process builds")


class ReportRoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField(help_text="delphi or meeting")
    status = serializers.CharField()
    opened_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    items = serializers.IntegerField()
    invited = serializers.IntegerField()
    completed = serializers.IntegerField()


class ReportParticipationSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    group = serializers.CharField(help_text='A stakeholder group, or "All panelists"')
    invited = serializers.IntegerField()
    started = serializers.IntegerField()
    completed = serializers.IntegerField()
    response_rate_pct = _pct()
    attrition_pct = _pct()


class ReportSuggestionSerializer(serializers.Serializer):
    round = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    merged_into = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class ReportFinalOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    decided_in_round = serializers.IntegerField(allow_null=True)
    round_kind = serializers.CharField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    pct = _pct("Delphi: % scoring 7-9; meeting: % of votes cast that are include")
    n_abstain = serializers.IntegerField(allow_null=True)
    definition_agreed = serializers.BooleanField()
    measurement_agreed = serializers.BooleanField()


class ReportDroppedSerializer(serializers.Serializer):
    item = serializers.CharField()
    round = serializers.IntegerField()
    round_kind = serializers.CharField()
    classification = serializers.CharField(help_text="out or none")
    n = serializers.IntegerField()
    pct = _pct()
    n_abstain = serializers.IntegerField(allow_null=True)


class CosStadStandardSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="1-11, in the order of the COS-STAD paper")
    domain = serializers.CharField(help_text="Scope specification, Stakeholders involved or Consensus process")
    standard = serializers.CharField()
    status = serializers.ChoiceField(choices=["met", "not met", "not recorded"])
    evidence = serializers.CharField(help_text="How this process met it, from the registry's own record")


class CosStadSerializer(serializers.Serializer):
    citation = serializers.CharField()
    doi_url = serializers.URLField()
    standards = CosStadStandardSerializer(many=True)


class ReportDownloadSerializer(serializers.Serializer):
    process = ReportProcessSerializer()
    definition = DefinitionSerializer()
    rounds = ReportRoundSerializer(many=True)
    participation = ReportParticipationSerializer(many=True)
    suggestions = ReportSuggestionSerializer(many=True)
    final_set = ReportFinalOutcomeSerializer(many=True)
    not_in_final_set = ReportDroppedSerializer(many=True)
    cos_stad = CosStadSerializer(help_text="The COS-STAD minimum standards and how this process met each")
