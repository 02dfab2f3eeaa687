"""Change notifications: email subscriptions to a set or a disease area, and webhooks (docs/notifications.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def _nonce() -> str:
    return uuid.uuid4().hex


class Subscription(models.Model):
    """An email address that wants to hear when a set, or any set of a disease area, is published or withdrawn.

    Nothing is sent before `confirmed_at` (double opt-in). The nonces make the signed links single-use: confirming
    replaces `confirm_nonce`, unsubscribing replaces `unsubscribe_nonce`, so a link used once (or an older one)
    no longer matches (outcomes/services/subscriptions.py).
    """

    email = models.EmailField(max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="subscriptions"
    )
    core_outcome_set = models.ForeignKey(
        "outcomes.CoreOutcomeSet", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    disease_area = models.ForeignKey(
        "diseases.DiseaseArea", null=True, blank=True, on_delete=models.CASCADE, related_name="subscriptions"
    )
    confirm_nonce = models.CharField(max_length=32, default=_nonce)
    unsubscribe_nonce = models.CharField(max_length=32, default=_nonce)
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(core_outcome_set__isnull=False, disease_area__isnull=True)
                | Q(core_outcome_set__isnull=True, disease_area__isnull=False),
                name="subscription_one_target",
            ),
            models.UniqueConstraint(
                fields=["email", "core_outcome_set"],
                condition=Q(core_outcome_set__isnull=False),
                name="subscription_unique_email_set",
            ),
            models.UniqueConstraint(
                fields=["email", "disease_area"],
                condition=Q(disease_area__isnull=False),
                name="subscription_unique_email_area",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} -> {self.target}"

    @property
    def target(self) -> models.Model:
        return self.core_outcome_set or self.disease_area

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class WebhookEndpoint(models.Model):
    """A URL of a signed-in user's that receives the events it chose, signed with its secret (Standard Webhooks).

    The secret is kept as it was shown (whsec_<base64>): signing needs it. After a rotation the previous secret
    also signs until `previous_secret_expires_at`, so receivers can switch without losing a delivery.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.CharField(max_length=500)  # checked by services.webhooks.webhook_target (https, public address)
    description = models.CharField(max_length=200, blank=True)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    is_enabled = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"webhook {self.pk} -> {self.url}"

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell two apart, never enough to sign."""
        return f"{self.secret[:10]}…" if self.secret else ""


class WebhookDelivery(models.Model):
    """One event for one endpoint: the body is fixed when the event happens, and `webhook-id` stays the same for
    every attempt and replay, so a receiver can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed (gave up)"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40, unique=True)
    event_type = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "status", "id"], name="webhook_delivery_queue_idx")]

    def __str__(self) -> str:
        return f"{self.message_id} {self.event_type} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery: what the receiver answered (or why there was no answer), and how long it took."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    succeeded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"attempt {self.pk} of {self.delivery_id}: {self.status_code or self.error}"
