"""The admin of change notifications (docs/notifications.md)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from outcomes.admin import ReadOnlyAdmin
from outcomes.models import (
    Subscription,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from outcomes.permissions import is_admin

# --- Change notifications (docs/notifications.md): shown, changed only by their owners through the pages and API ---


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["email", "core_outcome_set", "disease_area", "confirmed_at", "unsubscribed_at"]
    list_filter = ["confirmed_at", "unsubscribed_at"]
    search_fields = ["email"]
    exclude = ["confirm_nonce", "unsubscribe_nonce"]

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return is_admin(request.user)  # an address's owner may ask to be erased


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "owner", "events", "is_enabled", "consecutive_failures", "created_at"]
    list_filter = ["is_enabled"]
    search_fields = ["url", "owner__username"]
    exclude = ["secret", "previous_secret"]  # signing keys are shown to their owner once, never again


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["attempted_at", "status_code", "duration_ms", "succeeded", "response_excerpt", "error"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "endpoint", "event_type", "status", "attempt_count", "created_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint"]
    inlines = [WebhookAttemptInline]
