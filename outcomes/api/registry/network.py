"""The data network in the API: a version's network view (public) and the upload of a data source's feasibility
report (authenticated by the data source's token). docs/network.md, docs/api.md."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.authentication import DataSourceTokenAuthentication
from outcomes.api.errors import ErrorSerializer
from outcomes.api.registry.schema import SLUG_PARAM, VERSION_PARAM, errors
from outcomes.api.registry.views import version_lookup
from outcomes.models import DataSource
from outcomes.selectors.network import network_view, network_view_document
from outcomes.services.network import ReportDocument, feasibility_report_submit


class CellSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["band", "small", "not_found", "not_mapped", "not_reported"])
    label = serializers.CharField(help_text='A count band ("5–99"), "< 5", "not found", "not mapped", ...')
    mapping_revision = serializers.IntegerField(allow_null=True, required=False)


class PopulationCellSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()


class NetworkSourceSerializer(serializers.Serializer):
    name = serializers.CharField()
    country = serializers.CharField()
    cdm_version = serializers.CharField()
    vocabulary_version = serializers.CharField()
    is_demo = serializers.BooleanField(help_text="A synthetic data source of the demo.")
    report_generated_at = serializers.DateTimeField()
    report_received_at = serializers.DateTimeField()
    population = PopulationCellSerializer()


class NetworkOutcomeSerializer(serializers.Serializer):
    identity = serializers.UUIDField()
    name = serializers.CharField()
    measurable_in = serializers.IntegerField(help_text="Data sources that found it (a count band or '< N').")
    cells = CellSerializer(many=True, help_text="One per data source, in the order of `data_sources`.")


class NetworkViewSerializer(serializers.Serializer):
    set = serializers.CharField()
    version = serializers.CharField()
    data_sources = NetworkSourceSerializer(many=True)
    outcomes = NetworkOutcomeSerializer(many=True)
    measurable_outcomes = serializers.IntegerField()


class ReportReceiptSerializer(serializers.Serializer):
    data_source = serializers.CharField()
    set = serializers.CharField()
    version = serializers.CharField()
    generated_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField()


class VersionNetwork(APIView):
    @extend_schema(
        summary="Where a version's outcomes are measurable",
        description="From the latest feasibility report of each data source: per outcome, the count band of "
        "persons found in each data source ('< N' under the data source's minimum cell count, 'not found', "
        "'not mapped'), and in how many data sources it was found. Aggregates only.",
        parameters=[SLUG_PARAM, VERSION_PARAM],
        responses={200: NetworkViewSerializer, **errors(400, 404)},
    )
    def get(self, request: Request, slug: str, version: str) -> Response:
        found, _ = version_lookup(request, slug, version)
        return Response(network_view_document(network_view(found)))


class HasDataSourceToken(permissions.BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        if not isinstance(request.auth, DataSource):
            raise exceptions.NotAuthenticated("Send 'Authorization: DataSource <token>'.")
        return True


class VersionReportUpload(APIView):
    authentication_classes = [DataSourceTokenAuthentication]
    permission_classes = [HasDataSourceToken]

    @extend_schema(
        summary="Upload a data source's feasibility report",
        description="The JSON report the feasibility runner wrote, unchanged. Checked against the report schema "
        "(unknown fields refused); refused when it names another set or version than the address, when a count "
        "under its minimum cell count is not suppressed, or when the minimum is under 5. Replaces the data "
        "source's previous report on this version.",
        parameters=[SLUG_PARAM, VERSION_PARAM],
        request=ReportDocument,
        responses={
            201: ReportReceiptSerializer,
            401: OpenApiResponse(ErrorSerializer, description="No or an unknown data source token."),
            **errors(400, 404),
        },
    )
    def post(self, request: Request, slug: str, version: str) -> Response:
        found, _ = version_lookup(request, slug, version)
        report = feasibility_report_submit(data_source=request.auth, version=found, document=request.data)
        receipt = {
            "data_source": request.auth.name,
            "set": found.core_outcome_set.slug,
            "version": found.version,
            "generated_at": report.generated_at,
            "received_at": report.received_at,
        }
        return Response(ReportReceiptSerializer(receipt).data, status=status.HTTP_201_CREATED)
