"""Whole-registry dumps: request one (built in the background), follow its status, download it when ready. A user
sees the dumps they requested; an admin sees every dump."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, generics, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.common import FirstRendererNegotiation
from outcomes.api.errors import error_response
from outcomes.api.registry.schema import errors
from outcomes.api.registry.serializers import RegistryDumpRequestSerializer, RegistryDumpSerializer
from outcomes.models import RegistryDump
from outcomes.permissions import is_admin
from outcomes.services.dumps import dump_file_path, registry_dump_request


@extend_schema_view(
    get=extend_schema(
        summary="Your registry dumps", responses={200: RegistryDumpSerializer(many=True), **errors(400, 403, 404)}
    )
)
class DumpList(generics.ListCreateAPIView):
    serializer_class = RegistryDumpSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[RegistryDump]:
        dumps = RegistryDump.objects.order_by("-created_at")
        return dumps if is_admin(self.request.user) else dumps.filter(requested_by=self.request.user)

    @extend_schema(
        summary="Request a whole-registry dump",
        description="Every published version in one export format, zipped, built in the background. Poll the "
        "dump's URL until its status is `ready`, then download it.",
        request=RegistryDumpRequestSerializer,
        responses={202: RegistryDumpSerializer, **errors(400, 403)},
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        serializer = RegistryDumpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dump = registry_dump_request(export_format=serializer.validated_data["format"], by=request.user)
        dump.refresh_from_db()
        data = RegistryDumpSerializer(dump, context={"request": request}).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


def _dump_or_404(request: Request, pk) -> RegistryDump:
    dumps = (
        RegistryDump.objects.all() if is_admin(request.user) else RegistryDump.objects.filter(requested_by=request.user)
    )
    return get_object_or_404(dumps, pk=pk)


class DumpDetail(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="A registry dump and its status", responses={200: RegistryDumpSerializer, **errors(403, 404)}
    )
    def get(self, request: Request, pk) -> Response:
        return Response(RegistryDumpSerializer(_dump_or_404(request, pk), context={"request": request}).data)


class DumpDownload(APIView):
    permission_classes = [permissions.IsAuthenticated]
    content_negotiation_class = FirstRendererNegotiation

    @extend_schema(
        summary="Download a ready registry dump",
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **errors(403, 404, 409)},
    )
    def get(self, request: Request, pk):
        dump = _dump_or_404(request, pk)
        if dump.status != RegistryDump.Status.READY:
            return error_response(
                status_code=status.HTTP_409_CONFLICT, code="not_ready", message=f"The dump is {dump.status}."
            )
        path = dump_file_path(dump)
        if not path.exists():
            raise exceptions.NotFound("The dump's file is gone; request a new dump.")
        return FileResponse(path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip")
