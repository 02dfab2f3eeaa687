"""Serializers of the conditions API."""

from __future__ import annotations

from rest_framework import serializers

from diseases.models import Condition


class ConditionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:condition-detail", lookup_field="slug")
    disease_area = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    icd10 = serializers.SerializerMethodField()

    class Meta:
        model = Condition
        fields = ["url", "slug", "name", "disease_area", "parent", "snomed_ct_id", "icd10"]

    def get_icd10(self, condition: Condition) -> list[str]:
        return [code.code for code in condition.icd10_codes.all()]
