"""The canonical JSON document of a version: what the API's version detail returns and the json export holds.

The serializers below are the single definition of that document (and of its OpenAPI schema).
"""

from __future__ import annotations

import orjson
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from outcomes.exports import is_draft, set_page_url, version_page_url
from outcomes.exports.concept_sets import concept_set_document, outcome_concept_set
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Outcome
from outcomes.selectors import corrected_in
from outcomes.selectors.translations import reviewed_texts
from outcomes.vocabularies import DOMAIN_CHOICES, VOCABULARY_CHOICES

DOCUMENT_FORMAT = "cos-registry/version/1"


class DomainSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    core_area = serializers.CharField()


class InstrumentRefSerializer(serializers.Serializer):
    acronym = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField()


class MeasurementSerializer(serializers.Serializer):
    instrument = InstrumentRefSerializer(allow_null=True)
    timing = serializers.CharField()
    note = serializers.CharField()


class ConceptSetItemDocumentSerializer(serializers.Serializer):
    vocabulary = serializers.ChoiceField(
        choices=VOCABULARY_CHOICES, help_text="OMOP vocabulary_id (OMOP: a concept id)."
    )
    code = serializers.CharField(help_text="The code in that vocabulary (for OMOP: the concept id).")
    name = serializers.CharField()
    concept_id = serializers.IntegerField(
        allow_null=True, help_text="The standard OMOP concept id when resolved through a loaded OMOP vocabulary."
    )
    include_descendants = serializers.BooleanField()
    include_mapped = serializers.BooleanField()
    is_excluded = serializers.BooleanField()
    domain = serializers.ChoiceField(choices=DOMAIN_CHOICES, help_text="The OMOP CDM domain it is expected in.")


class ConceptWindowSerializer(serializers.Serializer):
    start_day = serializers.IntegerField()
    end_day = serializers.IntegerField()


class ConceptSetDocumentSerializer(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The mapping revision used: cite it for a reproducible analysis.")
    status = serializers.CharField(help_text="Always `reviewed`: only reviewed revisions are exported.")
    counts_all_deaths = serializers.BooleanField(help_text="All-cause mortality: any row of the death table counts.")
    window = ConceptWindowSerializer(
        allow_null=True, help_text="Days relative to the first record of the population's condition (index date)."
    )
    items = ConceptSetItemDocumentSerializer(many=True)


class OutcomeTextSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    definition = serializers.CharField(required=False)


class OutcomeSerializer(serializers.Serializer):
    identity = serializers.UUIDField(help_text="Stable across versions and renames.")
    name = serializers.CharField(help_text="The agreed English wording: the reference.")
    definition = serializers.CharField(help_text="The agreed English wording: the reference.")
    translations = serializers.SerializerMethodField(
        help_text="Reviewed translations of the name and definition, by language code (e.g. `de`)."
    )
    applies_to = serializers.CharField()
    note = serializers.CharField()
    order = serializers.IntegerField()
    domains = DomainSerializer(many=True)
    measurements = MeasurementSerializer(many=True)
    concept_set = serializers.SerializerMethodField(
        help_text="The outcome's OMOP concept set (its latest reviewed mapping revision), or null: not yet mapped."
    )

    @extend_schema_field(ConceptSetDocumentSerializer(allow_null=True))
    def get_concept_set(self, outcome: Outcome) -> dict | None:
        return concept_set_document(outcome_concept_set(outcome.version, outcome))

    @extend_schema_field(serializers.DictField(child=OutcomeTextSerializer()))
    def get_translations(self, outcome) -> dict:
        return reviewed_texts(outcome)


class ReferenceSerializer(serializers.Serializer):
    citation = serializers.CharField()
    doi = serializers.CharField()
    doi_url = serializers.CharField()
    pmid = serializers.CharField()
    pmcid = serializers.CharField()
    url = serializers.CharField()


class DocumentConditionSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    icd10 = serializers.ListField(child=serializers.CharField())
    snomed_ct_id = serializers.CharField()


class DocumentDiseaseAreaSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class SetSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The set's public page.")
    disease_area = DocumentDiseaseAreaSerializer()
    conditions = DocumentConditionSerializer(many=True)
    scope_population = serializers.CharField()
    scope_intervention = serializers.CharField()
    scope_setting = serializers.CharField()
    developers = serializers.CharField()
    comet_registry_id = serializers.IntegerField(allow_null=True)
    completeness = serializers.CharField()

    def get_url(self, cos: CoreOutcomeSet) -> str:
        return set_page_url(slug=cos.slug)


class ConsensusProcessRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()


class ProvenanceSerializer(serializers.Serializer):
    published_by = serializers.CharField(allow_null=True, help_text="Display name of who published it here.")
    published_at = serializers.DateTimeField(allow_null=True)
    changelog = serializers.CharField()
    derived_from = serializers.CharField(allow_null=True, help_text="The version this one was derived from.")
    successors = serializers.ListField(child=serializers.CharField(), help_text="Public versions derived from it.")
    is_correction = serializers.BooleanField(
        help_text="True when this version corrects a transcription error of `derived_from` (a patch)."
    )
    corrected_in = serializers.CharField(
        allow_null=True, help_text="The public version that corrects a transcription error of this one."
    )
    consensus_process = ConsensusProcessRefSerializer(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_reason = serializers.CharField()


def display_name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or "Registry curator"


class VersionDocumentSerializer(serializers.Serializer):
    format = serializers.SerializerMethodField()
    set = serializers.SerializerMethodField()
    version = serializers.CharField()
    status = serializers.ChoiceField(choices=CoreOutcomeSetVersion.Status.choices)
    draft = serializers.SerializerMethodField(help_text="True for a version that is not published yet.")
    canonical_url = serializers.SerializerMethodField(help_text="The version's public page.")
    doi = serializers.CharField(help_text="The version's own DOI once minted (empty until then).")
    published_on = serializers.DateField(allow_null=True, help_text="Publication in the literature.")
    published_on_precision = serializers.CharField()
    provenance = serializers.SerializerMethodField()
    outcomes = OutcomeSerializer(many=True, source="outcomes.all")
    references = ReferenceSerializer(many=True, source="references.all")

    def get_format(self, version: CoreOutcomeSetVersion) -> str:
        return DOCUMENT_FORMAT

    @extend_schema_field(SetSummarySerializer)
    def get_set(self, version: CoreOutcomeSetVersion) -> dict:
        cos = version.core_outcome_set
        data = SetSummarySerializer(cos).data
        data["conditions"] = [
            {
                "slug": c.slug,
                "name": c.name,
                "icd10": [code.code for code in c.icd10_codes.all()],
                "snomed_ct_id": c.snomed_ct_id,
            }
            for c in cos.conditions.all()
        ]
        return data

    def get_draft(self, version: CoreOutcomeSetVersion) -> bool:
        return is_draft(version)

    def get_canonical_url(self, version: CoreOutcomeSetVersion) -> str:
        return version_page_url(slug=version.core_outcome_set.slug, version=version.version)

    @extend_schema_field(ProvenanceSerializer)
    def get_provenance(self, version: CoreOutcomeSetVersion) -> dict:
        process = getattr(version, "consensus_process", None) if _has_process(version) else None
        correction = corrected_in(version, getattr(version, "public_successors", []))
        return {
            "published_by": display_name(version.published_by),
            "published_at": serializers.DateTimeField().to_representation(version.published_at)
            if version.published_at
            else None,
            "changelog": version.changelog,
            "derived_from": version.derived_from.version if version.derived_from_id else None,
            "successors": [v.version for v in getattr(version, "public_successors", [])],
            "is_correction": version.is_correction,
            "corrected_in": correction.version if correction else None,
            "consensus_process": {"id": process.pk, "title": process.title, "status": process.status}
            if process
            else None,
            "withdrawn_at": serializers.DateTimeField().to_representation(version.withdrawn_at)
            if version.withdrawn_at
            else None,
            "withdrawn_reason": version.withdrawn_reason,
        }


def _has_process(version: CoreOutcomeSetVersion) -> bool:
    try:
        version.consensus_process  # noqa: B018 - select_related by version_document_queryset
    except CoreOutcomeSetVersion.consensus_process.RelatedObjectDoesNotExist:
        return False
    return True


def version_document(version: CoreOutcomeSetVersion) -> dict:
    """The canonical document of a version (a prefetched one: selectors.version_document_queryset)."""
    return VersionDocumentSerializer(version).data


def version_json_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(version_document(version), option=orjson.OPT_INDENT_2)


class LocalizedTextSerializer(serializers.Serializer):
    name = serializers.CharField()
    name_language = serializers.CharField(help_text="The language `name` is in: the requested one, or `en`.")
    definition = serializers.CharField()
    definition_language = serializers.CharField()


class LocalizedOutcomeSerializer(OutcomeSerializer):
    localized = LocalizedTextSerializer(
        required=False, help_text="Only when a language other than English was asked for (`?lang=`, Accept-Language)."
    )


@extend_schema_serializer(component_name="VersionDocument")
class LocalizedVersionDocumentSerializer(VersionDocumentSerializer):
    """The API's answer: the canonical document, plus the texts in the language asked for (outcomes.api.language)."""

    language = serializers.CharField(required=False, help_text="The language asked for, when not English.")
    outcomes = LocalizedOutcomeSerializer(many=True, source="outcomes.all")
