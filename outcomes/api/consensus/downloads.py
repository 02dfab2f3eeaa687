"""The ratings, results and report of a process as data (JSON and CSV)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.consensus import download_serializers as s
from outcomes.api.consensus.facilitator import FacilitatorView
from outcomes.exports import consensus as exports
from outcomes.models import ConsensusProcess
from outcomes.permissions import can_read_consensus_aggregates
from outcomes.selectors import consensus as selectors

_DOWNLOAD_DOCS = "Every column and field is described in docs/consensus.md, with a worked example."
_CSV_RESPONSE = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The same CSV as the page's")}


class AggregatesView(APIView):
    """The results and the report: public once the process is published, before that its facilitators only."""

    permission_classes = [permissions.AllowAny]

    def get_process(self, pk: int) -> ConsensusProcess:
        process = get_object_or_404(selectors.process_queryset(), pk=pk)
        if not can_read_consensus_aggregates(self.request.user, process):
            raise exceptions.PermissionDenied("The results and the report are published with the version.")
        return process


class RatingsDownloadView(FacilitatorView):
    @extend_schema(
        responses=s.RatingsDownloadSerializer,
        summary="The tallied ratings, pseudonymised, with the meeting's live counts (facilitators)",
        description=f"Exactly the submitted answers that were tallied (drafts never appear). {_DOWNLOAD_DOCS}",
    )
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        ratings, live = selectors.pseudonymised_ratings(process), selectors.meeting_live_counts(process)
        return Response(exports.ratings_json(process, ratings, live))


class RatingsCsvView(FacilitatorView):
    @extend_schema(
        responses=_CSV_RESPONSE, summary="The ratings download as CSV (facilitators)", description=_DOWNLOAD_DOCS
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return exports.csv_download(self.get_process(pk), "ratings")


class ResultsDownloadView(AggregatesView):
    @extend_schema(
        responses=s.ResultsDownloadSerializer,
        summary="Every result of every round, overall and per group, with the consensus definition",
        description=_DOWNLOAD_DOCS,
    )
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        return Response(exports.results_json(process, selectors.process_results(process)))


class ResultsCsvView(AggregatesView):
    @extend_schema(responses=_CSV_RESPONSE, summary="The results download as CSV", description=_DOWNLOAD_DOCS)
    def get(self, request: Request, pk: int) -> HttpResponse:
        return exports.csv_download(self.get_process(pk), "results")


class ReportDownloadView(AggregatesView):
    @extend_schema(
        responses=s.ReportDownloadSerializer,
        summary="The COS-STAR report as data, with the COS-STAD standards and how this process met each",
        description=_DOWNLOAD_DOCS,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(exports.report_document(selectors.report_data(self.get_process(pk))))


class ReportCsvView(AggregatesView):
    @extend_schema(
        responses=_CSV_RESPONSE, summary="The COS-STAR report as CSV, one measure per row", description=_DOWNLOAD_DOCS
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        return exports.csv_download(self.get_process(pk), "report")
