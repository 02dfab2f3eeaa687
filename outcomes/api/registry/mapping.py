"""Concept sets of outcomes through the API: read by anyone (reviewed revisions), proposed and reviewed by curators.

An outcome is named by its identity (stable across versions): `/api/v1/outcomes/{identity}/concept-sets/`. It is
found among the versions the user may see (selectors.versions_visible_to); a pending proposal is shown to curators
only. Writes take exactly their fields (StrictInputMixin) and a service's refusal names each field at fault.
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes import selectors
from outcomes.api.common import NoInputSerializer, StrictSerializer
from outcomes.api.registry.schema import errors, path_param
from outcomes.exports.json import ConceptSetItemDocumentSerializer, ConceptWindowSerializer, display_name
from outcomes.models import ConceptSetRevision, Outcome
from outcomes.permissions import is_curator
from outcomes.selectors.mapping import outcome_by_identity, outcome_revisions
from outcomes.services.mapping import MAX_ITEMS, ItemInput, mapping_propose, mapping_review
from outcomes.vocabularies import DOMAIN_CHOICES, VOCABULARY_CHOICES

IDENTITY_PARAM = path_param("identity", uuid.UUID, "The outcome's identity (stable across versions).")
NUMBER_PARAM = path_param("number", int, "The revision number.", 1)


# ------------------------------------------------------------------------------------------------- shapes


class RevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(source="number")
    status = serializers.ChoiceField(choices=ConceptSetRevision.Status.choices)
    counts_all_deaths = serializers.BooleanField()
    window = ConceptWindowSerializer(allow_null=True)
    note = serializers.CharField()
    proposed_by = serializers.SerializerMethodField()
    proposed_at = serializers.DateTimeField()
    reviewed_by = serializers.SerializerMethodField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    items = ConceptSetItemDocumentSerializer(many=True, source="items.all")

    def get_proposed_by(self, revision: ConceptSetRevision) -> str | None:
        return display_name(revision.proposed_by)

    def get_reviewed_by(self, revision: ConceptSetRevision) -> str | None:
        return display_name(revision.reviewed_by)


class MappedOutcomeSerializer(serializers.Serializer):
    identity = serializers.UUIDField()
    name = serializers.CharField()
    set = serializers.CharField(source="version.core_outcome_set.slug")
    version = serializers.CharField(source="version.version", help_text="The newest version you may see with it.")


class OutcomeConceptSetsSerializer(serializers.Serializer):
    outcome = MappedOutcomeSerializer()
    current = RevisionSerializer(
        allow_null=True, help_text="The latest reviewed revision, which exports use; null: not yet mapped."
    )
    revisions = RevisionSerializer(many=True, help_text="Newest first; a pending proposal is shown to curators only.")


class ProposalResultSerializer(RevisionSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="Disagreements with the loaded OMOP vocabulary (not refusals)."
    )


class ItemWriteSerializer(StrictSerializer):
    vocabulary = serializers.ChoiceField(choices=VOCABULARY_CHOICES)
    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    concept_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    include_descendants = serializers.BooleanField(required=False, default=True)
    include_mapped = serializers.BooleanField(required=False, default=False)
    is_excluded = serializers.BooleanField(required=False, default=False)
    domain = serializers.ChoiceField(choices=DOMAIN_CHOICES)


class WindowWriteSerializer(StrictSerializer):
    start_day = serializers.IntegerField()
    end_day = serializers.IntegerField()


class ProposalWriteSerializer(StrictSerializer):
    items = ItemWriteSerializer(many=True, max_length=MAX_ITEMS)
    counts_all_deaths = serializers.BooleanField(required=False, default=False)
    window = WindowWriteSerializer(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


# -------------------------------------------------------------------------------------------------- views


def _outcome_or_404(request: Request, identity: uuid.UUID) -> Outcome:
    outcome = outcome_by_identity(identity, selectors.versions_visible_to(request.user))
    if outcome is None:
        raise exceptions.NotFound(f"There is no outcome {identity}.")
    return outcome


def _require_curator(request: Request) -> None:
    if not is_curator(request.user):
        raise exceptions.PermissionDenied("Only curators map outcomes to concept sets.")


class OutcomeConceptSets(APIView):
    @extend_schema(
        summary="An outcome's concept sets (OMOP mapping revisions)",
        description="The latest reviewed revision (what exports use) and the history of revisions.",
        parameters=[IDENTITY_PARAM],
        responses={200: OutcomeConceptSetsSerializer, **errors(404)},
    )
    def get(self, request: Request, identity: uuid.UUID) -> Response:
        outcome = _outcome_or_404(request, identity)
        revisions = outcome_revisions(identity, include_proposed=is_curator(request.user))
        current = next((r for r in revisions if r.is_reviewed), None)
        data = {"outcome": outcome, "current": current, "revisions": revisions}
        return Response(OutcomeConceptSetsSerializer(data).data)

    @extend_schema(
        summary="Propose a concept set revision for an outcome (curators)",
        description="Replaces the pending proposal if there is one, else opens the next revision. Codes are checked "
        "per vocabulary (ICD-10 pattern, SNOMED CT Verhoeff check digit, LOINC check digit, ...); with an OMOP "
        "vocabulary loaded they resolve to standard concept ids and disagreements come back as warnings.",
        parameters=[IDENTITY_PARAM],
        request=ProposalWriteSerializer,
        responses={201: ProposalResultSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request, identity: uuid.UUID) -> Response:
        _require_curator(request)
        outcome = _outcome_or_404(request, identity)
        serializer = ProposalWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        window = data["window"]
        proposal = mapping_propose(
            outcome=outcome,
            items=[ItemInput(**item) for item in data["items"]],
            by=request.user,
            counts_all_deaths=data["counts_all_deaths"],
            window=(window["start_day"], window["end_day"]) if window else None,
            note=data["note"],
        )
        revision = outcome_revisions(identity, include_proposed=True)[0]
        body = {**RevisionSerializer(revision).data, "warnings": proposal.warnings}
        return Response(body, status=status.HTTP_201_CREATED)


class OutcomeConceptSetReview(APIView):
    @extend_schema(
        summary="Review a proposed concept set revision (curators)",
        description="From now on the revision is immutable and the exports use it.",
        parameters=[IDENTITY_PARAM, NUMBER_PARAM],
        request=NoInputSerializer,
        responses={200: RevisionSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request, identity: uuid.UUID, number: int) -> Response:
        _require_curator(request)
        if request.data:
            NoInputSerializer(data=request.data).is_valid(raise_exception=True)
        _outcome_or_404(request, identity)
        revision = ConceptSetRevision.objects.filter(outcome_identity=identity, number=number).first()
        if revision is None:
            raise exceptions.NotFound(f"The outcome has no revision {number}.")
        mapping_review(revision=revision, by=request.user)
        reviewed = next(r for r in outcome_revisions(identity, include_proposed=True) if r.number == number)
        return Response(RevisionSerializer(reviewed).data)
