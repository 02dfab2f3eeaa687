"""API of the change notifications (docs/notifications.md): email subscriptions (no account needed) and a signed-in
user's webhook endpoints and deliveries. Services decide; refusals reach the client through the error handler."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from diseases.models import DiseaseArea
from outcomes.api.common import StrictInputMixin, StrictSerializer
from outcomes.models import CoreOutcomeSet, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from outcomes.selectors import notifications as selectors
from outcomes.services import subscriptions as subs
from outcomes.services import webhooks

# --- Serializers --------------------------------------------------------------------------------------------------


class SubscriptionRequestSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)
    core_outcome_set = serializers.SlugField(
        required=False, help_text="The slug of the set to follow (give this or disease_area)."
    )
    disease_area = serializers.SlugField(
        required=False, help_text="The slug of the disease area to follow (give this or core_outcome_set)."
    )

    def validate(self, attrs: dict) -> dict:
        if ("core_outcome_set" in attrs) == ("disease_area" in attrs):
            raise serializers.ValidationError({"core_outcome_set": ["Give either core_outcome_set or disease_area."]})
        if "core_outcome_set" in attrs:
            cos = CoreOutcomeSet.objects.filter(slug=attrs["core_outcome_set"]).first()
            if cos is None:
                raise serializers.ValidationError({"core_outcome_set": ["No core outcome set has this slug."]})
            attrs["core_outcome_set"] = cos
        else:
            area = DiseaseArea.objects.filter(slug=attrs["disease_area"]).first()
            if area is None:
                raise serializers.ValidationError({"disease_area": ["No disease area has this slug."]})
            attrs["disease_area"] = area
        return attrs


class TokenSerializer(StrictSerializer):
    token = serializers.CharField(max_length=500, help_text="The token at the end of the emailed link.")


class MessageSerializer(serializers.Serializer):
    detail = serializers.CharField()


class SubscriptionSerializer(serializers.Serializer):
    email = serializers.EmailField()
    core_outcome_set = serializers.SlugField(source="core_outcome_set.slug", allow_null=True, default=None)
    disease_area = serializers.SlugField(source="disease_area.slug", allow_null=True, default=None)
    confirmed = serializers.SerializerMethodField()

    def get_confirmed(self, obj) -> bool:
        return obj.is_active


class WebhookEndpointSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.get_username", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=webhooks.WEBHOOK_EVENTS))
    secret_hint = serializers.CharField(read_only=True, help_text="The start of the secret, to tell secrets apart.")

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "events",
            "owner",
            "is_enabled",
            "disabled_at",
            "disabled_reason",
            "consecutive_failures",
            "secret_hint",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(StrictInputMixin, serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="https:// on a public address.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    events = serializers.ListField(
        child=serializers.CharField(max_length=60),
        help_text=f"One or more of: {', '.join(webhooks.WEBHOOK_EVENTS)}.",
    )
    read_only_names = ("id", "owner", "is_enabled", "secret", "secret_hint", "disabled_at", "consecutive_failures")


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="Shown this once: whsec_ and the base64 key.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new secret, shown this once.")
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then deliveries also carry a signature made with the previous secret."
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["attempted_at", "status_code", "duration_ms", "succeeded", "response_excerpt", "error"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "message_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "created_at",
            "finished_at",
            "payload",
            "attempts",
        ]


# --- Subscriptions ------------------------------------------------------------------------------------------------

REQUESTED = (
    "If this address can be subscribed, a confirmation email is on its way; nothing is sent until its link is used. "
    "An address that is subscribed already stays as it is."
)


class SubscriptionRequestView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=SubscriptionRequestSerializer,
        responses={202: MessageSerializer},
        summary="Follow a set or a disease area by email (a confirmation email is sent first)",
        description="The answer is the same whether or not the address is already subscribed. Rate limited per "
        "client address (SUBSCRIBE_RATE_LIMIT) and per email address (SUBSCRIBE_ADDRESS_RATE_LIMIT).",
    )
    def post(self, request: Request) -> Response:
        serializer = SubscriptionRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subs.subscription_request(
            email=data["email"],
            core_outcome_set=data.get("core_outcome_set"),
            disease_area=data.get("disease_area"),
            by=request.user,
        )
        return Response({"detail": REQUESTED}, status=status.HTTP_202_ACCEPTED)


def _token_action(request: Request, action) -> Response:
    serializer = TokenSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    try:
        subscription = action(token=serializer.validated_data["token"])
    except subs.TokenRefused as exc:
        raise serializers.ValidationError({"token": [str(exc)]}) from None
    return Response(SubscriptionSerializer(subscription).data)


class SubscriptionConfirmView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenSerializer,
        responses=SubscriptionSerializer,
        summary="Confirm a subscription with the token of its confirmation link (single-use, expires)",
    )
    def post(self, request: Request) -> Response:
        return _token_action(request, subs.subscription_confirm)


class SubscriptionUnsubscribeView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        request=TokenSerializer,
        responses=SubscriptionSerializer,
        summary="Unsubscribe with the token of an email's unsubscribe link (no sign-in; single-use)",
    )
    def post(self, request: Request) -> Response:
        return _token_action(request, subs.subscription_unsubscribe)


# --- Webhooks -----------------------------------------------------------------------------------------------------


class WebhookView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    def get_endpoint(self, pk: int) -> WebhookEndpoint:
        """An endpoint the user may manage; another user's is a 404, not a hint that it exists."""
        return get_object_or_404(selectors.webhook_endpoints_for(self.request.user), pk=pk)


class WebhookListView(WebhookView):
    @extend_schema(responses=WebhookEndpointSerializer(many=True), summary="Your webhook endpoints (admins: all)")
    def get(self, request: Request) -> Response:
        return Response(WebhookEndpointSerializer(selectors.webhook_endpoints_for(request.user), many=True).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        summary="Register an endpoint; the answer holds its signing secret, shown this once",
    )
    def post(self, request: Request) -> Response:
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = webhooks.webhook_endpoint_create(owner=request.user, **serializer.validated_data)
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(WebhookView):
    @extend_schema(responses=WebhookEndpointSerializer, summary="A webhook endpoint")
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookEndpointSerializer(self.get_endpoint(pk)).data)

    @extend_schema(
        request=WebhookEndpointWriteSerializer(partial=True),
        responses=WebhookEndpointSerializer,
        summary="Change an endpoint's URL, description or events",
    )
    def patch(self, request: Request, pk: int) -> Response:
        endpoint = self.get_endpoint(pk)
        serializer = WebhookEndpointWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = webhooks.webhook_endpoint_update(endpoint=endpoint, by=request.user, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={204: None}, summary="Delete an endpoint and its delivery log")
    def delete(self, request: Request, pk: int) -> Response:
        webhooks.webhook_endpoint_delete(endpoint=self.get_endpoint(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _no_input(request: Request) -> None:
    if request.data:
        StrictSerializer(data=request.data).is_valid(raise_exception=True)


class WebhookRotateView(WebhookView):
    @extend_schema(
        request=None,
        responses=SecretSerializer,
        summary="Rotate the signing secret (the previous one keeps signing for a grace period)",
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = self.get_endpoint(pk)
        _no_input(request)
        secret = webhooks.webhook_secret_rotate(endpoint=endpoint, by=request.user)
        endpoint.refresh_from_db()
        return Response({"secret": secret, "previous_secret_expires_at": endpoint.previous_secret_expires_at})


class WebhookEnableView(WebhookView):
    @extend_schema(
        request=None,
        responses={200: WebhookEndpointSerializer, 400: OpenApiResponse(description="The endpoint is enabled.")},
        summary="Enable a disabled endpoint again; its waiting deliveries are sent in order",
    )
    def post(self, request: Request, pk: int) -> Response:
        endpoint = self.get_endpoint(pk)
        _no_input(request)
        return Response(
            WebhookEndpointSerializer(webhooks.webhook_endpoint_enable(endpoint=endpoint, by=request.user)).data
        )


class WebhookDeliveryListView(generics.ListAPIView):
    """The endpoint's deliveries, newest first, each with its attempts."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = WebhookDeliverySerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        endpoint = get_object_or_404(selectors.webhook_endpoints_for(self.request.user), pk=self.kwargs["pk"])
        return selectors.webhook_delivery_queryset(endpoint)

    @extend_schema(summary="An endpoint's deliveries with every attempt (status, duration, response excerpt)")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class WebhookReplayView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        summary="Send a delivery again (same webhook-id and body, fresh retry schedule)",
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = selectors.webhook_delivery_for(request.user, pk)
        if delivery is None:
            raise Http404("No such delivery.")
        _no_input(request)
        delivery = webhooks.webhook_delivery_replay(delivery=delivery, by=request.user)
        delivery = selectors.webhook_delivery_queryset(delivery.endpoint).get(pk=delivery.pk)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
