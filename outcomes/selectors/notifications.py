"""Reads of the change notifications: a user's webhook endpoints and their deliveries with attempts."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from outcomes.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from outcomes.permissions import User, is_admin

# The deliveries a page or the API shows at once (the newest first); older ones stay in the database.
DELIVERIES_SHOWN = 50


def webhook_endpoints_for(user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints a user may see and manage: their own; every endpoint for staff admins."""
    if not user.is_authenticated:
        return WebhookEndpoint.objects.none()
    endpoints = WebhookEndpoint.objects.select_related("owner").order_by("id")
    return endpoints if is_admin(user) else endpoints.filter(owner=user)


def webhook_delivery_queryset(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first, each with its attempts (newest first): two queries per page."""
    attempts = Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("-id"))
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id").prefetch_related(attempts)


def webhook_deliveries(endpoint: WebhookEndpoint, *, limit: int = DELIVERIES_SHOWN) -> list[WebhookDelivery]:
    """The newest deliveries the endpoint's page shows."""
    return list(webhook_delivery_queryset(endpoint)[:limit])


def webhook_delivery_for(user: User, pk: int) -> WebhookDelivery | None:
    """A delivery of an endpoint the user may manage, or None."""
    return (
        WebhookDelivery.objects.select_related("endpoint__owner")
        .filter(pk=pk, endpoint__in=webhook_endpoints_for(user))
        .first()
    )
