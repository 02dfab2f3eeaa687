"""Serializers of the registry's read API. A version's full document lives in outcomes/exports/json.py."""

from __future__ import annotations

from functools import cached_property

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from diseases.models import Condition, DiseaseArea
from diseases.serializers import ConditionSerializer
from outcomes.exports import EXPORT_FORMAT_NAMES, set_page_url, version_page_url
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Instrument, OutcomeDomain, RegistryDump


class DiseaseAreaSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:disease-area-detail", lookup_field="slug")
    condition_count = serializers.IntegerField(read_only=True)
    set_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = DiseaseArea
        fields = [
            "url",
            "slug",
            "name",
            "description",
            "programme_name",
            "programme_funder",
            "programme_grant",
            "condition_count",
            "set_count",
        ]


class OutcomeDomainSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:outcome-domain-detail", lookup_field="number")
    core_area_label = serializers.CharField(source="get_core_area_display", read_only=True)

    class Meta:
        model = OutcomeDomain
        fields = ["url", "number", "name", "core_area", "core_area_label"]


class InstrumentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:instrument-detail", lookup_field="acronym")

    class Meta:
        model = Instrument
        fields = ["url", "acronym", "name", "kind", "homepage", "licence_note"]

    homepage = serializers.CharField(source="url", read_only=True, help_text="The instrument's own web page.")


class VersionSummarySerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This version's API document.")
    canonical_url = serializers.SerializerMethodField(help_text="This version's public page.")
    derived_from = serializers.SlugRelatedField(slug_field="version", read_only=True, allow_null=True)

    class Meta:
        model = CoreOutcomeSetVersion
        fields = [
            "url",
            "canonical_url",
            "version",
            "status",
            "published_on",
            "published_at",
            "derived_from",
            "is_correction",
        ]

    def get_url(self, version: CoreOutcomeSetVersion) -> str:
        return reverse(
            "api:version-detail",
            args=[version.core_outcome_set.slug, version.version],
            request=self.context.get("request"),
        )

    def get_canonical_url(self, version: CoreOutcomeSetVersion) -> str:
        return version_page_url(slug=version.core_outcome_set.slug, version=version.version)


class VersionListItemSerializer(VersionSummarySerializer):
    outcome_count = serializers.IntegerField(read_only=True)

    class Meta(VersionSummarySerializer.Meta):
        fields = [*VersionSummarySerializer.Meta.fields, "changelog", "outcome_count"]


class ConditionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["slug", "name"]


class DiseaseAreaRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = DiseaseArea
        fields = ["slug", "name"]


class CoreOutcomeSetListSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cos-detail", lookup_field="slug")
    web_url = serializers.SerializerMethodField(help_text="The set's public page.")
    disease_area = DiseaseAreaRefSerializer(read_only=True)
    conditions = ConditionRefSerializer(many=True, read_only=True)
    current_version = serializers.SerializerMethodField(
        help_text="The current version: the published one, else (after a withdrawal) the latest public one, with "
        "its status; null for a set with no public version. `versions/latest/` names the same version."
    )
    outcome_count = serializers.IntegerField(read_only=True, help_text="Outcomes of the current version.")

    class Meta:
        model = CoreOutcomeSet
        fields = [
            "url",
            "web_url",
            "slug",
            "title",
            "disease_area",
            "conditions",
            "completeness",
            "comet_registry_id",
            "current_version",
            "outcome_count",
        ]

    def get_web_url(self, cos: CoreOutcomeSet) -> str:
        return set_page_url(slug=cos.slug)

    @extend_schema_field(VersionSummarySerializer(allow_null=True))
    def get_current_version(self, cos: CoreOutcomeSet) -> dict | None:
        current = cos.current_versions[0] if cos.current_versions else None
        if current is None:
            return None
        current.core_outcome_set = cos  # already loaded: no query
        return self._version_summary.to_representation(current)

    @cached_property
    def _version_summary(self) -> VersionSummarySerializer:
        # One instance for every row of a list: DRF builds a serializer's fields on first use, which cost more than
        # rendering the row (profiled on the set list, docs/performance.md).
        return VersionSummarySerializer(context=self.context)


class ConditionDetailRefSerializer(ConditionSerializer):
    class Meta(ConditionSerializer.Meta):
        fields = ["url", "slug", "name", "snomed_ct_id", "icd10"]


class CoreOutcomeSetDetailSerializer(CoreOutcomeSetListSerializer):
    conditions = ConditionDetailRefSerializer(many=True, read_only=True)
    versions = serializers.SerializerMethodField(help_text="Versions you may see, newest first.")

    class Meta(CoreOutcomeSetListSerializer.Meta):
        fields = [
            *CoreOutcomeSetListSerializer.Meta.fields,
            "scope_population",
            "scope_intervention",
            "scope_setting",
            "developers",
            "method",
            "versions",
        ]

    @extend_schema_field(VersionSummarySerializer(many=True))
    def get_versions(self, cos: CoreOutcomeSet) -> list[dict]:
        for version in cos.visible_versions:
            version.core_outcome_set = cos
        return VersionSummarySerializer(cos.visible_versions, many=True, context=self.context).data


class OutcomeRefSerializer(serializers.Serializer):
    identity = serializers.UUIDField()
    name = serializers.CharField()


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(help_text="Text, or a list of texts for domains and measurements.")
    new = serializers.JSONField(help_text="Text, or a list of texts for domains and measurements.")


class OutcomeChangeSerializer(serializers.Serializer):
    identity = serializers.UUIDField()
    old_name = serializers.CharField()
    new_name = serializers.CharField()
    meaning_changed = serializers.BooleanField(help_text="The curator flagged that the definition changed meaning.")
    fields = FieldChangeSerializer(many=True)


class OutcomeDiffSerializer(serializers.Serializer):
    added = OutcomeRefSerializer(many=True)
    removed = OutcomeRefSerializer(many=True)
    changed = OutcomeChangeSerializer(many=True)
    unchanged = serializers.IntegerField()


class ReferenceRefSerializer(serializers.Serializer):
    citation = serializers.CharField()
    doi = serializers.CharField()
    pmid = serializers.CharField()
    pmcid = serializers.CharField()


class ReferenceChangeSerializer(serializers.Serializer):
    old = ReferenceRefSerializer()
    new = ReferenceRefSerializer()
    fields = FieldChangeSerializer(many=True)


class ReferenceDiffSerializer(serializers.Serializer):
    added = ReferenceRefSerializer(many=True)
    removed = ReferenceRefSerializer(many=True)
    changed = ReferenceChangeSerializer(many=True)


class VersionDiffSerializer(serializers.Serializer):
    """The shape of outcomes.services.diff.VersionDiff.to_dict(), plus the set's slug."""

    set = serializers.CharField(help_text="The set's slug.")
    old = serializers.CharField(help_text="The version compared from.")
    new = serializers.CharField(help_text="The version compared to.")
    level = serializers.ChoiceField(
        choices=["major", "minor", "patch"], help_text="The semantic-version bump this change needs."
    )
    outcomes = OutcomeDiffSerializer()
    references = ReferenceDiffSerializer()


class RegistryDumpRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=EXPORT_FORMAT_NAMES, help_text="Export format of every version.")


class RegistryDumpSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:dump-detail")
    download_url = serializers.SerializerMethodField(help_text="Where to download the zip once it is ready.")

    class Meta:
        model = RegistryDump
        fields = [
            "url",
            "id",
            "format",
            "status",
            "version_count",
            "size_bytes",
            "sha256",
            "error",
            "created_at",
            "finished_at",
            "download_url",
        ]

    def get_download_url(self, dump: RegistryDump) -> str | None:
        if dump.status != RegistryDump.Status.READY:
            return None
        return reverse("api:dump-download", args=[dump.pk], request=self.context.get("request"))
