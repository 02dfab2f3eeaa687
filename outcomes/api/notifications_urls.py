"""Change notifications API (namespace "api", under /api/v1/)."""

from __future__ import annotations

from django.conf import settings
from django.urls import path

from outcomes.api import notifications as views
from outcomes.ratelimit import ratelimit

# Subscription requests send email: limited per client address, as on the page.
_subscribe = ratelimit(group="subscribe", rate=settings.SUBSCRIBE_RATE_LIMIT)(views.SubscriptionRequestView.as_view())

urlpatterns = [
    path("subscriptions/", _subscribe, name="subscription-request"),
    path("subscriptions/confirm/", views.SubscriptionConfirmView.as_view(), name="subscription-confirm"),
    path("subscriptions/unsubscribe/", views.SubscriptionUnsubscribeView.as_view(), name="subscription-unsubscribe"),
    path("webhooks/", views.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/rotate-secret/", views.WebhookRotateView.as_view(), name="webhook-rotate"),
    path("webhooks/<int:pk>/enable/", views.WebhookEnableView.as_view(), name="webhook-enable"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
    path("webhooks/deliveries/<int:pk>/replay/", views.WebhookReplayView.as_view(), name="webhook-delivery-replay"),
]
