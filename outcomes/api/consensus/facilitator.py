"""Consensus API for facilitators (session or token authentication, facilitator of the process)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.common import NoInputSerializer
from outcomes.api.consensus import serializers as s
from outcomes.api.errors import ErrorSerializer
from outcomes.models import ConsensusProcess, Item, Panelist, Round, RoundItem, StakeholderGroup, Suggestion
from outcomes.permissions import is_curator, is_facilitator
from outcomes.selectors import consensus as selectors
from outcomes.selectors.translations import process_translations
from outcomes.services import consensus as svc


def _no_input(request: Request) -> None:
    """The body of an action without fields: empty, or a 400 naming every field it sends."""
    if request.data:
        NoInputSerializer(data=request.data).is_valid(raise_exception=True)


class FacilitatorView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get_process(self, pk: int) -> ConsensusProcess:
        process = get_object_or_404(ConsensusProcess, pk=pk)
        if not is_facilitator(self.request.user, process):
            raise exceptions.PermissionDenied("You are not a facilitator of this process.")
        return process

    def get_round(self, pk: int) -> Round:
        round_ = get_object_or_404(Round.objects.select_related("process"), pk=pk)
        self.get_process(round_.process_id)
        return round_


class ProcessListView(FacilitatorView):
    @extend_schema(responses=s.ProcessSerializer(many=True), summary="The processes you facilitate")
    def get(self, request: Request) -> Response:
        return Response(s.ProcessSerializer(selectors.processes_for(request.user), many=True).data)

    @extend_schema(
        request=s.ProcessCreateSerializer,
        responses={201: s.ProcessDetailSerializer},
        summary="Start a consensus process for a set's next version (curators; you become its facilitator)",
    )
    def post(self, request: Request) -> Response:
        # The rule of the page /facilitate/new/: curators start processes and facilitate them.
        if not is_curator(request.user):
            raise exceptions.PermissionDenied("Curators start consensus processes.")
        serializer = s.ProcessCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        process = svc.process_create(by=request.user, **data)
        return Response(_process_document(request.user, process.pk), status=status.HTTP_201_CREATED)


def _process_document(user, pk: int) -> dict:
    process = selectors.processes_for(user).prefetch_related("groups").get(pk=pk)
    process.round_rows = list(selectors.process_rounds(process))
    return s.ProcessDetailSerializer(process).data


class ProcessDetailView(FacilitatorView):
    @extend_schema(
        responses=s.ProcessDetailSerializer,
        summary="A process with its consensus definition, settings, groups and rounds",
    )
    def get(self, request: Request, pk: int) -> Response:
        self.get_process(pk)
        return Response(_process_document(request.user, pk))

    @extend_schema(
        request=s.ProcessUpdateSerializer,
        responses=s.ProcessDetailSerializer,
        summary="Change the consensus definition (until round 1 opens) and the settings; send only what changes",
    )
    def patch(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.ProcessUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        svc.process_update(process=process, by=request.user, **serializer.validated_data)
        return Response(_process_document(request.user, pk))


class GroupListView(FacilitatorView):
    @extend_schema(responses=s.FacilitatorGroupSerializer(many=True), summary="The stakeholder groups of a process")
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        return Response(s.FacilitatorGroupSerializer(selectors.process_groups(process), many=True).data)

    @extend_schema(
        request=s.FacilitatorGroupSerializer,
        responses={201: s.FacilitatorGroupSerializer},
        summary="Add a stakeholder group",
    )
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.FacilitatorGroupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group = svc.group_create(process=process, name=serializer.validated_data["name"], by=request.user)
        return Response(
            s.FacilitatorGroupSerializer(selectors.process_groups(process).get(pk=group.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class GroupDetailView(FacilitatorView):
    def _group(self, pk: int) -> StakeholderGroup:
        group = get_object_or_404(StakeholderGroup.objects.select_related("process"), pk=pk)
        self.get_process(group.process_id)
        return group

    @extend_schema(
        request=s.FacilitatorGroupSerializer,
        responses=s.FacilitatorGroupSerializer,
        summary="Rename a stakeholder group",
    )
    def patch(self, request: Request, pk: int) -> Response:
        group = self._group(pk)
        serializer = s.FacilitatorGroupSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        svc.group_update(group=group, name=serializer.validated_data["name"], by=request.user)
        return Response(s.FacilitatorGroupSerializer(selectors.process_groups(group.process).get(pk=pk)).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Remove a stakeholder group (refused while it has panelists)",
    )
    def delete(self, request: Request, pk: int) -> Response:
        group = self._group(pk)
        _no_input(request)
        svc.group_delete(group=group, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoundListView(FacilitatorView):
    @extend_schema(responses=s.RoundSerializer(many=True), summary="The rounds of a process")
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        return Response(s.RoundSerializer(selectors.process_rounds(process), many=True).data)

    @extend_schema(request=s.RoundCreateSerializer, responses={201: s.RoundSerializer}, summary="Create next round")
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.RoundCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = svc.round_create(process=process, by=request.user, **serializer.validated_data)
        return Response(
            s.RoundSerializer(selectors.process_rounds(process).get(pk=round_.pk)).data, status=status.HTTP_201_CREATED
        )


class RoundDetailView(FacilitatorView):
    @extend_schema(
        responses=s.RoundDetailSerializer,
        summary="A round with its round items (their ids are what the meeting's live counts take)",
    )
    def get(self, request: Request, pk: int) -> Response:
        round_ = self.get_round(pk)
        return Response(s.RoundDetailSerializer(selectors.round_detail(round_)).data)


class RoundOpenView(FacilitatorView):
    @extend_schema(request=None, responses=s.RoundSerializer, summary="Open a round (round 1 locks the definition)")
    def post(self, request: Request, pk: int) -> Response:
        round_ = self.get_round(pk)
        _no_input(request)
        svc.round_open(round=round_, by=request.user)
        return Response(s.RoundSerializer(selectors.process_rounds(round_.process).get(pk=pk)).data)


class RoundCloseView(FacilitatorView):
    @extend_schema(request=None, responses=s.RoundSerializer, summary="Close a round; it is tallied by a task")
    def post(self, request: Request, pk: int) -> Response:
        round_ = self.get_round(pk)
        _no_input(request)
        svc.round_close(round=round_, by=request.user)
        return Response(s.RoundSerializer(selectors.process_rounds(round_.process).get(pk=pk)).data)


class RoundResultsView(FacilitatorView):
    @extend_schema(
        responses=s.RoundItemResultSerializer(many=True),
        summary="Per item: overall (group null) and per-group results with classification",
    )
    def get(self, request: Request, pk: int) -> Response:
        round_ = self.get_round(pk)
        return Response(s.RoundItemResultSerializer(selectors.round_results(round_), many=True).data)


def _item_of(process: ConsensusProcess, pk: int | None, field: str) -> Item | None:
    """An item named by id in a request body: it must belong to this process (a 400 on that field otherwise)."""
    if pk is None:
        return None
    item = process.items.filter(pk=pk).first()
    if item is None:
        raise exceptions.ValidationError({field: ["Choose an item of this process."]})
    return item


class ItemListView(FacilitatorView):
    @extend_schema(responses=s.ItemSerializer(many=True), summary="The candidate items of a process")
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        return Response(s.ItemSerializer(selectors.process_items(process), many=True).data)

    @extend_schema(request=s.ItemCreateSerializer, responses={201: s.ItemSerializer}, summary="Add a candidate item")
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.ItemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        item = svc.item_create(
            process=process,
            name=data["name"],
            definition=data["definition"],
            domain_numbers=data["domains"],
            kind=data["kind"],
            outcome_item=_item_of(process, data["outcome_item"], "outcome_item"),
            instrument=data["instrument"],
            timing=data["timing"],
            options=[svc.OptionInput(**option) for option in data["options"]],
            by=request.user,
        )
        return Response(s.ItemSerializer(selectors.process_items(process).get(pk=item.pk)).data, status=201)


class CsvBodyParser(BaseParser):
    """`Content-Type: text/csv`: the request body is the file. Reads one byte past the limit, so that the service
    can refuse an oversized file without the whole body being held in memory."""

    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None) -> dict:
        return {"file": stream.read(svc.CSV_MAX_BYTES + 1) if stream is not None else b""}


class ItemImportView(FacilitatorView):
    parser_classes = [MultiPartParser, CsvBodyParser]

    @extend_schema(
        request={"multipart/form-data": s.CsvUploadSerializer, "text/csv": OpenApiTypes.BINARY},
        responses={
            201: s.ItemSerializer(many=True),
            415: OpenApiResponse(ErrorSerializer, description="Send multipart/form-data or text/csv."),
        },
        summary="Import candidates from a CSV file; a file with any bad row imports nothing",
        description=(
            "The file as the `file` part of a multipart/form-data request, or as the whole body with "
            "`Content-Type: text/csv`. Columns (by header): `name`, `definition` (optional), `domains` (COMET domain "
            'numbers separated by ";" or ","; required for outcomes). Definition, instrument and alternatives items '
            "add `kind`, `outcome_item` (the name of a candidate outcome of the process or the file), `instrument` "
            "(an acronym of the registry), `timing`, and `option 1`, `option 1 definition`, `option 1 instrument`, "
            "`option 2`, ... (docs/consensus.md). A bad file is a 400 whose `fields.file` lists every problem, each "
            "starting with its line number: \"Line 4: '39' is not a COMET domain number (1-38).\""
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        data = request.data.get("file")
        if isinstance(data, bytes):  # the text/csv body
            content = data
        else:
            serializer = s.CsvUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            # At most one byte past the limit: enough for the service to refuse an oversized file.
            content = upload.read(svc.CSV_MAX_BYTES + 1)
        items = svc.candidates_import_csv(process=process, data=content, by=request.user)
        created = selectors.process_items(process).filter(pk__in=[item.pk for item in items]).order_by("order", "id")
        return Response(s.ItemSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class ItemDetailView(FacilitatorView):
    @extend_schema(request=s.ItemUpdateSerializer, responses=s.ItemSerializer, summary="Edit a not yet rated item")
    def patch(self, request: Request, pk: int) -> Response:
        item = get_object_or_404(Item.objects.select_related("process"), pk=pk)
        process = self.get_process(item.process_id)
        serializer = s.ItemUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        svc.item_update(
            item=item,
            name=data.get("name"),
            definition=data.get("definition"),
            domain_numbers=data.get("domains"),
            by=request.user,
        )
        return Response(s.ItemSerializer(selectors.process_items(process).get(pk=pk)).data)


class PanelistListView(FacilitatorView):
    @extend_schema(responses=s.PanelistSerializer(many=True), summary="The panelists of a process (facilitators only)")
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        rows = process.panelists.select_related("group").order_by("code")
        return Response(s.PanelistSerializer(rows, many=True).data)

    @extend_schema(
        request=s.PanelistInviteSerializer,
        responses={201: s.PanelistSerializer},
        summary="Invite a panelist; the personal link is emailed by a task",
    )
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.PanelistInviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        group = None
        if data["group_id"] is not None:
            group = process.groups.filter(pk=data["group_id"]).first()
            if group is None:
                raise exceptions.ValidationError({"group_id": ["Choose one of this process's stakeholder groups."]})
        panelist = svc.panelist_invite(
            process=process, email=data["email"], name=data["name"], group=group, by=request.user
        )
        return Response(s.PanelistSerializer(panelist).data, status=201)


class PanelistActionView(FacilitatorView):
    action = ""

    def _panelist(self, pk: int) -> Panelist:
        panelist = get_object_or_404(Panelist.objects.select_related("process", "group"), pk=pk)
        self.get_process(panelist.process_id)
        return panelist


class PanelistRevokeView(PanelistActionView):
    @extend_schema(request=None, responses=s.PanelistSerializer, summary="Revoke a panelist's personal link")
    def post(self, request: Request, pk: int) -> Response:
        panelist = self._panelist(pk)
        _no_input(request)
        panelist = svc.panelist_revoke(panelist=panelist, by=request.user)
        return Response(s.PanelistSerializer(panelist).data)


class PanelistResendView(PanelistActionView):
    @extend_schema(
        request=None, responses=s.PanelistSerializer, summary="Email a new personal link (the old one stops working)"
    )
    def post(self, request: Request, pk: int) -> Response:
        panelist = self._panelist(pk)
        _no_input(request)
        panelist = svc.panelist_invitation_resend(panelist=panelist, by=request.user)
        return Response(s.PanelistSerializer(panelist).data)


class SuggestionListView(FacilitatorView):
    @extend_schema(responses=s.FacilitatorSuggestionSerializer(many=True), summary="The panel's suggestions")
    def get(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        rows = (
            Suggestion.objects.filter(round__process=process)
            .select_related("panelist", "round")
            .order_by("status", "created_at")
        )
        return Response(s.FacilitatorSuggestionSerializer(rows, many=True).data)


class SuggestionDecideView(FacilitatorView):
    @extend_schema(
        request=s.SuggestionDecisionSerializer,
        responses=s.FacilitatorSuggestionSerializer,
        summary="Accept (a new item), merge into an item, or reject with a reason",
    )
    def post(self, request: Request, pk: int) -> Response:
        suggestion = get_object_or_404(Suggestion.objects.select_related("round"), pk=pk)
        process = self.get_process(suggestion.round.process_id)
        serializer = s.SuggestionDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        merge_into = _item_of(process, data["merge_into"], "merge_into")
        if merge_into is not None and merge_into.kind != Item.Kind.OUTCOME:
            raise exceptions.ValidationError({"merge_into": ["Merge into a candidate outcome."]})
        svc.suggestion_decide(
            suggestion=suggestion,
            decision=data["decision"],
            reason=data["reason"],
            merge_into=merge_into,
            domain_numbers=data["domains"],
            by=request.user,
        )
        decided = Suggestion.objects.select_related("panelist", "round").get(pk=pk)
        return Response(s.FacilitatorSuggestionSerializer(decided).data)


class MeetingCountsView(FacilitatorView):
    @extend_schema(
        request=s.LiveCountsSerializer,
        responses=s.RoundItemCountsSerializer,
        summary="Record the show of hands on one item of the open consensus meeting",
    )
    def put(self, request: Request, pk: int) -> Response:
        round_item = get_object_or_404(RoundItem.objects.select_related("round", "item"), pk=pk)
        self.get_process(round_item.round.process_id)
        serializer = s.LiveCountsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_item = svc.meeting_live_counts_set(round_item=round_item, by=request.user, **serializer.data)
        return Response(s.RoundItemCountsSerializer(round_item).data)


def _version_document(version) -> dict:
    return {"version": version.version, "status": version.status, "outcome_count": version.outcomes.count()}


class ProcessFinaliseView(FacilitatorView):
    @extend_schema(
        request=None,
        responses=s.VersionResultSerializer,
        summary="Build the draft version's outcomes from the items with consensus in",
    )
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        _no_input(request)
        return Response(_version_document(svc.process_finalise(process=process, by=request.user)))


class ProcessPublishView(FacilitatorView):
    @extend_schema(request=None, responses=s.VersionResultSerializer, summary="Publish the finalised version")
    def post(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        _no_input(request)
        return Response(_version_document(svc.process_publish(process=process, by=request.user)))


def _translations_document(process: ConsensusProcess) -> dict:
    return s.ProcessTranslationsSerializer(
        {
            "languages": process.languages,
            "translations": process_translations(process.pk),
            "missing": svc.translations_missing(process=process),
        }
    ).data


class TranslationListView(FacilitatorView):
    @extend_schema(
        responses=s.ProcessTranslationsSerializer,
        summary="The translations of a process's texts and what still lacks a reviewed translation",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(_translations_document(self.get_process(pk)))

    @extend_schema(
        request=s.TranslationWriteSerializer,
        responses=s.ProcessTranslationsSerializer,
        summary="Write, review or (with an empty text) delete the translation of one field into one language",
    )
    def put(self, request: Request, pk: int) -> Response:
        process = self.get_process(pk)
        serializer = s.TranslationWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        target = svc.translation_target(process=process, kind=data["object_type"], object_id=data["object_id"])
        svc.translation_set(
            process=process,
            target=target,
            field=data["field"],
            language=data["language"],
            text=data["text"],
            reviewed=data["reviewed"],
            by=request.user,
        )
        process.refresh_from_db()
        return Response(_translations_document(process))
