"""Trials API: check a trial's outcomes against a set version, declare and decide adoptions, and uptake.

Checks are open to everyone (a stored result at an unguessable address); declaring needs a signed-in user;
verifying and rejecting need a curator (outcomes.permissions). Services decide; errors take the one API shape.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, permissions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.common import BoundedJSONParser, FirstRendererNegotiation, ORJSONRenderer, StrictSerializer
from outcomes.api.errors import ErrorSerializer
from outcomes.exports import attachment
from outcomes.exports.trials import check_csv, ready_paragraph, research_study, research_study_bytes
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, TrialAdoption, TrialCheck
from outcomes.permissions import is_curator
from outcomes.selectors import current_version, public_versions, version_queryset
from outcomes.selectors import trials as trial_selectors
from outcomes.services import trials as trial_services
from outcomes.trials import inputs

_ERRORS = {
    400: "Invalid input; `fields` names each problem.",
    403: "Not allowed for this user.",
    404: "Not found.",
    413: "The request body is too large.",
}


def errors(*codes: int) -> dict:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERRORS[code]) for code in codes}


def _field_error(field: str, exc: ValidationError) -> serializers.ValidationError:
    return serializers.ValidationError({field: exc.messages})


def version_resolve(slug: str, version: str | None) -> CoreOutcomeSetVersion:
    """A public version of a set by slug and version string (its current version when none is named)."""
    cos = CoreOutcomeSet.objects.filter(slug=slug).first()
    if cos is None:
        raise serializers.ValidationError({"set": [f"No core outcome set {slug!r}."]})
    versions = public_versions(version_queryset()).filter(core_outcome_set=cos)
    found = versions.filter(version=version).first() if version else current_version(cos)
    if found is None or not versions.filter(pk=found.pk).exists():
        raise serializers.ValidationError({"version": [f"No published version {version or ''} of {slug!r}."]})
    return versions.get(pk=found.pk)


# --- serializers ----------------------------------------------------------------------------------------------------


class TrialOutcomeSerializer(serializers.Serializer):
    measure = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    time_frame = serializers.CharField(allow_blank=True)
    kind = serializers.ChoiceField(choices=["primary", "secondary", "other"])


class VerdictSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The core outcome's identity (its EvidenceVariable's UUID).")
    name = serializers.CharField()
    applies_to = serializers.CharField(help_text="Non-empty: applies to one intervention; not in the Kirkham rule.")
    verdict = serializers.ChoiceField(choices=["measured", "possibly", "missing"])
    reason = serializers.CharField(help_text="same outcome, synonym, instrument named, domain, similar wording.")
    score = serializers.FloatField()
    trial_outcome = serializers.IntegerField(allow_null=True, help_text="Index in trial_outcomes of the match.")
    explanation = serializers.CharField(allow_blank=True)


class TrialCheckSerializer(serializers.ModelSerializer):
    set = serializers.CharField(source="version.core_outcome_set.slug")
    version = serializers.CharField(source="version.version")
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    trial_outcomes = TrialOutcomeSerializer(many=True)
    verdicts = VerdictSerializer(many=True)
    not_in_set = serializers.ListField(child=serializers.IntegerField())
    paragraph = serializers.SerializerMethodField()

    class Meta:
        model = TrialCheck
        fields = [
            "id", "url", "page_url", "set", "version", "created_at", "source", "trial_title", "registry_id",
            "meets_kirkham", "measured_count", "possibly_count", "missing_count", "verdicts", "trial_outcomes",
            "not_in_set", "paragraph",
        ]  # fmt: skip

    def get_url(self, obj: TrialCheck) -> str:
        return self.context["request"].build_absolute_uri(f"/api/v1/trial-checks/{obj.pk}/")

    def get_page_url(self, obj: TrialCheck) -> str:
        return self.context["request"].build_absolute_uri(f"/trials/checks/{obj.pk}/")

    def get_paragraph(self, obj: TrialCheck) -> str:
        return ready_paragraph(obj.version, measured_all=obj.meets_kirkham)


class TrialCheckRequestSerializer(StrictSerializer):
    set = serializers.SlugField(help_text="The core outcome set's slug.")
    version = serializers.CharField(required=False, help_text="A published version; the current one if omitted.")
    lines = serializers.CharField(
        required=False, trim_whitespace=False, help_text="The trial's outcomes, one per line."
    )
    ctgov = serializers.JSONField(required=False, help_text="A ClinicalTrials.gov API v2 study record.")
    nct = serializers.CharField(required=False, help_text="An NCT number to fetch from ClinicalTrials.gov.")
    csv = serializers.FileField(required=False, help_text="A CSV file with a `measure` column (multipart only).")

    def validate(self, data: dict) -> dict:
        given = [name for name in ("lines", "ctgov", "nct", "csv") if name in data]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"non_field_errors": ["Give the trial's outcomes in exactly one of lines, ctgov, nct or csv."]}
            )
        return data


def trial_parse(data: dict) -> tuple[inputs.ParsedTrial, str]:
    """The trial's outcomes from whichever input was given, and the check's source."""
    try:
        if "lines" in data:
            return inputs.parse_lines(data["lines"]), TrialCheck.Source.LINES
        if "ctgov" in data:
            return inputs.parse_ctgov(data["ctgov"]), TrialCheck.Source.CTGOV
        if "nct" in data:
            return inputs.fetch_ctgov(data["nct"]), TrialCheck.Source.NCT
        upload = data["csv"]
        if upload.size > inputs.MAX_INPUT_BYTES:
            raise ValidationError(f"The file is too large: at most {inputs.MAX_INPUT_BYTES:,} bytes.")
        return inputs.parse_csv(upload.read(inputs.MAX_INPUT_BYTES + 1)), TrialCheck.Source.CSV
    except ValidationError as exc:
        field = next(name for name in ("lines", "ctgov", "nct", "csv") if name in data)
        raise _field_error(field, exc) from None


class AdoptionSerializer(serializers.ModelSerializer):
    set = serializers.CharField(source="version.core_outcome_set.slug")
    version = serializers.CharField(source="version.version")
    registry_url = serializers.CharField()
    check = serializers.UUIDField(source="check_result_id", allow_null=True)
    reason = serializers.SerializerMethodField()

    class Meta:
        model = TrialAdoption
        fields = [
            "id", "registry", "registry_id", "registry_url", "trial_title", "set", "version", "status",
            "declared_at", "decided_at", "reason", "check",
        ]  # fmt: skip

    def get_reason(self, obj: TrialAdoption) -> str:
        return obj.reason


class AdoptionDeclareSerializer(StrictSerializer):
    set = serializers.SlugField()
    version = serializers.CharField()
    registry_id = serializers.CharField(help_text="NCT, EU CT (or EudraCT) number, or ISRCTN.")
    trial_title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    check = serializers.UUIDField(required=False, help_text="A check's id, to attach its result.")


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(help_text="Why the declaration is rejected (shown to the declarant).")


class NoInput(StrictSerializer):
    pass


class UptakeMonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    verified = serializers.IntegerField()
    cumulative = serializers.IntegerField()
    checks = serializers.IntegerField()
    meeting_rule = serializers.IntegerField()
    share = serializers.FloatField(allow_null=True)


class SetUptakeSerializer(serializers.Serializer):
    set = serializers.CharField()
    verified_adoptions = serializers.IntegerField()
    months = UptakeMonthSerializer(many=True)


class UptakeRowSerializer(serializers.Serializer):
    set = serializers.CharField(source="slug")
    title = serializers.CharField()
    disease_area = serializers.CharField(source="disease_area.name")
    verified_adoptions = serializers.IntegerField(source="adoption_count")
    checks = serializers.IntegerField(source="check_count")
    checks_meeting_rule = serializers.IntegerField(source="meeting_rule_count")


# --- views ----------------------------------------------------------------------------------------------------------


def check_or_404(pk) -> TrialCheck:
    return get_object_or_404(trial_selectors.trial_check_queryset(), pk=pk)


class TrialCheckCreate(APIView):
    permission_classes = [permissions.AllowAny]
    parser_classes = [BoundedJSONParser, MultiPartParser]

    @extend_schema(
        summary="Check a trial's outcomes against a set version",
        description="Give the outcomes as `lines` (one per line), `ctgov` (a ClinicalTrials.gov API v2 study "
        "record), `nct` (fetched from ClinicalTrials.gov) or `csv` (a file, multipart). The result is stored at "
        "an unguessable address.",
        request={"application/json": TrialCheckRequestSerializer, "multipart/form-data": TrialCheckRequestSerializer},
        responses={201: TrialCheckSerializer, **errors(400, 413)},
    )
    def post(self, request: Request) -> Response:
        serializer = TrialCheckRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = version_resolve(data["set"], data.get("version"))
        trial, source = trial_parse(data)
        check = trial_services.trial_check_create(version=version, trial=trial, source=source, by=request.user)
        body = TrialCheckSerializer(check_or_404(check.pk), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": body["url"]})


class TrialCheckDetail(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A stored check's result", responses={200: TrialCheckSerializer, **errors(404)})
    def get(self, request: Request, pk) -> Response:
        return Response(TrialCheckSerializer(check_or_404(pk), context={"request": request}).data)


class TrialCheckCsv(APIView):
    permission_classes = [permissions.AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(summary="A check's result as CSV", responses={(200, "text/csv"): OpenApiTypes.STR, **errors(404)})
    def get(self, request: Request, pk):
        check = check_or_404(pk)
        return attachment(
            check_csv(check), filename=f"trial-check-{check.pk}.csv", content_type="text/csv; charset=utf-8"
        )


class TrialCheckFhir(APIView):
    permission_classes = [permissions.AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="A FHIR R5 ResearchStudy for the checked trial",
        description="outcomeMeasure.reference points at the set version's EvidenceVariables.",
        responses={(200, "application/fhir+json"): OpenApiTypes.OBJECT, **errors(404)},
    )
    def get(self, request: Request, pk):
        check = check_or_404(pk)
        trial_id = inputs.trial_id_parse(check.registry_id) if check.registry_id else None
        study = research_study(check.version, trial_id=trial_id, title=check.trial_title, check=check)
        return attachment(
            research_study_bytes(study),
            filename=f"research-study-{check.pk}.json",
            content_type="application/fhir+json",
        )


class AdoptionList(generics.ListAPIView):
    """Verified adoptions are public; curators may list any status with `?status=`."""

    serializer_class = AdoptionSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]
    filter_backends: list = []

    def get_queryset(self):
        qs = trial_selectors.adoption_queryset()
        wanted = self.request.query_params.get("status", TrialAdoption.Status.VERIFIED)
        if wanted not in TrialAdoption.Status.values:
            raise serializers.ValidationError({"status": [f"One of {', '.join(TrialAdoption.Status.values)}."]})
        if wanted != TrialAdoption.Status.VERIFIED and not is_curator(self.request.user):
            raise exceptions.PermissionDenied("Only curators see declarations that are not verified.")
        qs = qs.filter(status=wanted)
        if self.request.query_params.get("set"):
            qs = qs.filter(version__core_outcome_set__slug=self.request.query_params["set"])
        return qs

    @extend_schema(
        summary="Adoptions of sets by trials",
        parameters=[
            OpenApiParameter("set", str, description="Only this set's adoptions (its slug)."),
            OpenApiParameter(
                "status",
                str,
                enum=list(TrialAdoption.Status.values),
                description="verified (default); others: curators.",
            ),
        ],
        responses={200: AdoptionSerializer(many=True), **errors(400, 403, 404)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Declare that a trial uses a set version",
        request=AdoptionDeclareSerializer,
        responses={201: AdoptionSerializer, **errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = AdoptionDeclareSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = version_resolve(data["set"], data["version"])
        check = None
        if data.get("check"):
            check = TrialCheck.objects.filter(pk=data["check"]).first()
            if check is None:
                raise serializers.ValidationError({"check": ["No such check."]})
        adoption = trial_services.adoption_declare(
            version=version,
            registry_id=data["registry_id"],
            trial_title=data.get("trial_title", ""),
            check=check,
            by=request.user,
        )
        return Response(AdoptionSerializer(adoption).data, status=status.HTTP_201_CREATED)


class AdoptionFhir(APIView):
    permission_classes = [permissions.AllowAny]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="A FHIR R5 ResearchStudy for an adopting trial",
        description="The trial (its registry identifier) with one outcomeMeasure per core outcome of the adopted "
        "version, each referencing the set's EvidenceVariable. Verified adoptions are public; others: curators.",
        responses={(200, "application/fhir+json"): OpenApiTypes.OBJECT, **errors(404)},
    )
    def get(self, request: Request, pk: int):
        adoptions = trial_selectors.adoption_queryset()
        if not is_curator(request.user):
            adoptions = adoptions.filter(status=TrialAdoption.Status.VERIFIED)
        adoption = get_object_or_404(adoptions, pk=pk)
        version = version_queryset().get(pk=adoption.version_id)
        study = research_study(
            version,
            trial_id=inputs.TrialId(adoption.registry, adoption.registry_id),
            title=adoption.trial_title,
            check=adoption.check_result,
        )
        return attachment(
            research_study_bytes(study),
            filename=f"research-study-{adoption.registry_id}.json",
            content_type="application/fhir+json",
        )


class _Decision(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def adoption(self, request: Request, pk: int) -> TrialAdoption:
        if not is_curator(request.user):
            raise exceptions.PermissionDenied("Only curators verify or reject adoptions.")
        return get_object_or_404(TrialAdoption, pk=pk)


class AdoptionVerify(_Decision):
    @extend_schema(
        summary="Verify a declared adoption (curators)",
        request=NoInput,
        responses={200: AdoptionSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        adoption = self.adoption(request, pk)
        NoInput(data=request.data).is_valid(raise_exception=True)
        adoption = trial_services.adoption_verify(adoption=adoption, by=request.user)
        return Response(AdoptionSerializer(adoption).data)


class AdoptionReject(_Decision):
    @extend_schema(
        summary="Reject a declared adoption, with a reason (curators)",
        request=RejectSerializer,
        responses={200: AdoptionSerializer, **errors(400, 403, 404)},
    )
    def post(self, request: Request, pk: int) -> Response:
        adoption = self.adoption(request, pk)
        serializer = RejectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        adoption = trial_services.adoption_reject(
            adoption=adoption, by=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(AdoptionSerializer(adoption).data)


class SetUptake(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary="A set's uptake by trials, per month", responses={200: SetUptakeSerializer, **errors(404)})
    def get(self, request: Request, slug: str) -> Response:
        cos = get_object_or_404(CoreOutcomeSet, slug=slug)
        months = trial_selectors.set_uptake(cos)
        body = {
            "set": cos.slug,
            "verified_adoptions": months[-1].cumulative if months else 0,
            "months": [{**m.__dict__, "share": m.share} for m in months],
        }
        return Response(SetUptakeSerializer(body).data)


class UptakeList(generics.ListAPIView):
    serializer_class = UptakeRowSerializer
    permission_classes = [permissions.AllowAny]
    filter_backends: list = []
    renderer_classes = [ORJSONRenderer]

    def get_queryset(self):
        return trial_selectors.sets_by_uptake()

    @extend_schema(
        summary="Sets by uptake: verified adoptions and checks meeting the Kirkham rule",
        responses={200: UptakeRowSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
