"""Consensus API for panelists, authenticated by their personal link's token (`Authorization: Panelist <token>`,
defined in outcomes.api.authentication)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from outcomes.api.authentication import PanelistThrottle, PanelistTokenAuthentication
from outcomes.api.consensus import panel_serializers as ps
from outcomes.models import Panelist, Round
from outcomes.selectors import consensus as selectors
from outcomes.services import consensus as svc


class IsPanelist(permissions.BasePermission):
    def has_permission(self, request: Request, view) -> bool:
        return isinstance(request.auth, Panelist)


class PanelistView(APIView):
    authentication_classes = [PanelistTokenAuthentication]
    permission_classes = [IsPanelist]
    throttle_classes = [PanelistThrottle]

    @property
    def panelist(self) -> Panelist:
        return self.request.auth


def _me_document(panelist: Panelist) -> dict:
    process = panelist.process
    return ps.PanelMeSerializer(
        {
            "code": panelist.code,
            "process": process.title,
            "description": process.description,
            "consent_text": process.consent_text,
            "consented_at": panelist.consented_at,
            "group": panelist.group,
            "groups": list(process.groups.all()),
            "language": panelist.language,
            "languages": process.languages,
            "rounds": [
                {
                    "number": r.number,
                    "kind": r.kind,
                    "status": r.status,
                    "closes_at": r.closes_at,
                    "completed_at": p.completed_at,
                }
                for r, p in selectors.panelist_rounds(panelist)
            ],
        }
    ).data


class PanelMeView(PanelistView):
    @extend_schema(responses=ps.PanelMeSerializer, summary="The panelist's study, consent, group and rounds")
    def get(self, request: Request) -> Response:
        return Response(_me_document(self.panelist))


class PanelConsentView(PanelistView):
    @extend_schema(request=ps.ConsentSerializer, responses=ps.PanelMeSerializer, summary="Consent and choose a group")
    def post(self, request: Request) -> Response:
        serializer = ps.ConsentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        group_id = serializer.validated_data.get("group_id")
        group = None
        if group_id is not None:
            group = self.panelist.process.groups.filter(pk=group_id).first()
            if group is None:
                raise exceptions.ValidationError({"group_id": ["Choose one of this study's stakeholder groups."]})
        panelist = svc.panelist_consent(
            panelist=self.panelist, group=group, language=serializer.validated_data.get("language")
        )
        return Response(_me_document(panelist))


class PanelRoundView(PanelistView):
    def _round(self, number: int) -> Round:
        round_ = Round.objects.filter(process_id=self.panelist.process_id, number=number).first()
        if round_ is None or not round_.participations.filter(panelist=self.panelist).exists():
            raise exceptions.NotFound(f"You are not invited to round {number}.")
        return round_

    @extend_schema(
        responses=ps.PanelRoundSerializer,
        summary="A round's items with your own ratings and the previous round's feedback",
    )
    def get(self, request: Request, number: int) -> Response:
        view = selectors.panel_round(self.panelist, self._round(number))
        return Response(ps.PanelRoundSerializer(view, context={"language": self.panelist.language}).data)

    @extend_schema(
        request=ps.RoundSubmissionSerializer,
        responses={200: ps.SubmissionResultSerializer},
        summary="Save or submit a whole round (an idempotent upsert: resubmitting changes, never duplicates)",
    )
    def put(self, request: Request, number: int) -> Response:
        submission = ps.round_submission_validate(request.data)
        round_ = Round.objects.filter(process_id=self.panelist.process_id, number=number).first()
        if round_ is None:
            raise exceptions.NotFound(f"There is no round {number}.")
        entries = [svc.RatingInput(**entry) for entry in submission["ratings"]]
        participation = svc.rating_submit(
            panelist=self.panelist,
            round=round_,
            ratings=entries,
            complete=submission["complete"],
        )
        return Response(
            {
                "saved": len(entries),
                "started_at": participation.started_at,
                "completed_at": participation.completed_at,
            }
        )

    post = extend_schema(
        request=ps.RoundSubmissionSerializer,
        responses={200: ps.SubmissionResultSerializer},
        summary="Same as PUT",
    )(put)


class PanelSuggestionsView(PanelistView):
    @extend_schema(responses=ps.SuggestionSerializer(many=True), summary="Your suggestions and what became of them")
    def get(self, request: Request) -> Response:
        return Response(ps.SuggestionSerializer(selectors.panelist_suggestions(self.panelist), many=True).data)

    @extend_schema(request=ps.SuggestionSerializer, responses={201: ps.SuggestionSerializer}, summary="Suggest")
    def post(self, request: Request) -> Response:
        serializer = ps.SuggestionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        round_ = Round.objects.filter(process_id=self.panelist.process_id, status=Round.Status.OPEN).first()
        if round_ is None:
            raise exceptions.ValidationError({"round": ["No round is open."]})
        suggestion = svc.suggestion_submit(
            panelist=self.panelist,
            round=round_,
            name=serializer.validated_data["name"],
            definition=serializer.validated_data.get("definition", ""),
            rationale=serializer.validated_data.get("rationale", ""),
        )
        return Response(ps.SuggestionSerializer(suggestion).data, status=status.HTTP_201_CREATED)
