"""The notifications API: webhook endpoints (owners only), strict input with field-level errors, deliveries and
replay, and the subscription endpoints."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, Subscription, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import CoreOutcomeSetFactory, SiteAdminFactory, UserFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.215.14/hooks"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


# --- Webhook endpoints ----------------------------------------------------------------------------------------------


def test_registering_returns_the_secret_once_and_no_later_answer_shows_it():
    owner = UserFactory()
    client = _client(owner)
    response = client.post(
        reverse("api:webhook-list"), {"url": PUBLIC_URL, "events": ["version.published"]}, format="json"
    )
    assert response.status_code == 201
    created = response.json()
    assert created["secret"].startswith("whsec_") and created["owner"] == owner.username
    assert created["events"] == ["version.published"] and created["is_enabled"] is True
    listed = client.get(reverse("api:webhook-list"))
    detail = client.get(reverse("api:webhook-detail", args=[created["id"]]))
    for answer in (listed, detail):
        assert created["secret"] not in answer.content.decode()
    assert detail.json()["secret_hint"] == created["secret"][:10] + "…"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "ftp://93.184.215.14/x", "events": ["version.published"]}, "url", "https://"),
        ({"url": "https://10.0.0.1/x", "events": ["version.published"]}, "url", "private"),
        ({"url": "https://169.254.169.254/x", "events": ["version.published"]}, "url", "link-local"),
        ({"url": "https://[::1]/x", "events": ["version.published"]}, "url", "loopback"),
        ({"url": PUBLIC_URL, "events": ["version.exploded"]}, "events", "Unknown event version.exploded"),
        ({"url": PUBLIC_URL, "events": []}, "events", "at least one"),
        ({"url": PUBLIC_URL}, "events", "required"),
        ({"events": ["version.published"]}, "url", "required"),
        ({"url": PUBLIC_URL, "events": ["version.published"], "secret": "mine"}, "secret", "read-only"),
        ({"url": PUBLIC_URL, "events": ["version.published"], "colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_registers_nothing(body, field, message):
    response = _client(UserFactory()).post(reverse("api:webhook-list"), body, format="json")
    assert response.status_code == 400
    assert message in " ".join(_fields(response)[field])
    assert not WebhookEndpoint.objects.exists()


def test_owners_see_and_manage_only_their_endpoints_and_admins_see_all():
    mine = WebhookEndpointFactory(owner=UserFactory(username="owner"))
    theirs = WebhookEndpointFactory(owner=UserFactory(username="someone-else"))
    client = _client(mine.owner)
    assert [e["id"] for e in client.get(reverse("api:webhook-list")).json()] == [mine.pk]
    for name in ("api:webhook-detail", "api:webhook-deliveries"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
    assert client.post(reverse("api:webhook-rotate", args=[theirs.pk])).status_code == 404
    assert client.delete(reverse("api:webhook-detail", args=[theirs.pk])).status_code == 404
    before = WebhookEndpoint.objects.get(pk=theirs.pk).secret
    assert WebhookEndpoint.objects.get(pk=theirs.pk).secret == before
    admin = _client(SiteAdminFactory())
    assert {e["id"] for e in admin.get(reverse("api:webhook-list")).json()} == {mine.pk, theirs.pk}
    assert admin.get(reverse("api:webhook-detail", args=[theirs.pk])).status_code == 200


def test_patch_changes_the_events_and_checks_a_new_url():
    endpoint = WebhookEndpointFactory(url=PUBLIC_URL)
    client = _client(endpoint.owner)
    url = reverse("api:webhook-detail", args=[endpoint.pk])
    response = client.patch(url, {"events": ["version.withdrawn"]}, format="json")
    assert response.status_code == 200 and response.json()["events"] == ["version.withdrawn"]
    refused = client.patch(url, {"url": "https://192.168.0.10/h"}, format="json")
    assert refused.status_code == 400 and "private" in " ".join(_fields(refused)["url"])
    endpoint.refresh_from_db()
    assert endpoint.url == PUBLIC_URL and endpoint.events == ["version.withdrawn"]
    assert AuditEvent.objects.filter(action="webhook.update", object_id=str(endpoint.pk)).count() == 1


def test_rotating_returns_a_new_secret_and_the_grace_period_of_the_old_one():
    endpoint = WebhookEndpointFactory()
    old = endpoint.secret
    response = _client(endpoint.owner).post(reverse("api:webhook-rotate", args=[endpoint.pk]))
    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert response.json()["secret"] == endpoint.secret != old and endpoint.previous_secret == old
    assert response.json()["previous_secret_expires_at"]


def test_deleting_an_endpoint_removes_it_and_audits_it():
    endpoint = WebhookEndpointFactory()
    response = _client(endpoint.owner).delete(reverse("api:webhook-detail", args=[endpoint.pk]))
    assert response.status_code == 204 and not WebhookEndpoint.objects.exists()
    assert AuditEvent.objects.filter(action="webhook.delete", object_id=str(endpoint.pk)).exists()


def _deliveries(endpoint: WebhookEndpoint, count: int) -> None:
    start = endpoint.deliveries.count()
    for n in range(start, start + count):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            message_id=f"msg_{endpoint.pk}_{n}",
            event_type="version.published",
            payload={"n": n},
            status=WebhookDelivery.Status.FAILED,
        )
        WebhookAttempt.objects.create(delivery=delivery, status_code=500, duration_ms=12, response_excerpt="no")
        WebhookAttempt.objects.create(delivery=delivery, error="ConnectionRefusedError")


def test_the_deliveries_list_shows_each_attempt_in_a_fixed_number_of_queries():
    endpoint = WebhookEndpointFactory()
    client = _client(endpoint.owner)
    url = reverse("api:webhook-deliveries", args=[endpoint.pk])
    _deliveries(endpoint, 2)
    with CaptureQueriesContext(connection) as few:
        first = client.get(url)
    _deliveries(endpoint, 8)
    with CaptureQueriesContext(connection) as many:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert second.json()["count"] == 10
    newest = second.json()["results"][0]
    assert newest["message_id"] == f"msg_{endpoint.pk}_9"
    assert [a["status_code"] for a in newest["attempts"]] == [None, 500]
    assert newest["attempts"][1]["duration_ms"] == 12 and newest["attempts"][0]["error"] == "ConnectionRefusedError"
    assert len(many) == len(few)


def test_replaying_a_delivery_queues_it_again_and_another_users_delivery_is_a_404(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    endpoint = WebhookEndpointFactory(url="http://127.0.0.1:9/unreachable")
    _deliveries(endpoint, 1)
    delivery = endpoint.deliveries.get()
    assert _client(UserFactory()).post(reverse("api:webhook-delivery-replay", args=[delivery.pk])).status_code == 404
    response = _client(endpoint.owner).post(reverse("api:webhook-delivery-replay", args=[delivery.pk]))
    assert response.status_code == 202
    assert response.json()["status"] == "pending" and response.json()["message_id"] == delivery.message_id
    again = _client(endpoint.owner).post(reverse("api:webhook-delivery-replay", args=[delivery.pk]))
    assert again.status_code == 400 and "still being sent" in " ".join(_fields(again)["status"])


def test_enabling_an_enabled_endpoint_is_a_400():
    endpoint = WebhookEndpointFactory()
    response = _client(endpoint.owner).post(reverse("api:webhook-enable", args=[endpoint.pk]))
    assert response.status_code == 400 and "already enabled" in " ".join(_fields(response)["is_enabled"])


# --- Subscriptions --------------------------------------------------------------------------------------------------


def test_the_subscription_api_confirms_once_and_unsubscribes_once(django_capture_on_commit_callbacks):
    cos = CoreOutcomeSetFactory()
    client = _client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:subscription-request"), {"email": "r@example.org", "core_outcome_set": cos.slug}, format="json"
        )
    assert response.status_code == 202
    token = re.search(r"/subscriptions/confirm/(\S+)/", mail.outbox[0].body).group(1)
    confirmed = client.post(reverse("api:subscription-confirm"), {"token": token}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json() == {
        "email": "r@example.org",
        "core_outcome_set": cos.slug,
        "disease_area": None,
        "confirmed": True,
    }
    replay = client.post(reverse("api:subscription-confirm"), {"token": token}, format="json")
    assert replay.status_code == 400 and "already been used" in " ".join(_fields(replay)["token"])
    forged = client.post(reverse("api:subscription-unsubscribe"), {"token": token}, format="json")
    assert forged.status_code == 400 and "not valid" in " ".join(_fields(forged)["token"])
    assert Subscription.objects.get().is_active


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "r@example.org"}, "core_outcome_set"),
        ({"email": "r@example.org", "core_outcome_set": "no-such-set"}, "core_outcome_set"),
        ({"email": "r@example.org", "disease_area": "no-such-area"}, "disease_area"),
        ({"email": "nope", "disease_area": "x"}, "email"),
        ({"email": "r@example.org", "disease_area": "x", "frequency": "daily"}, "frequency"),
    ],
)
def test_a_bad_subscription_request_is_a_400_naming_the_field(body, field):
    response = _client().post(reverse("api:subscription-request"), body, format="json")
    assert response.status_code == 400 and field in _fields(response)
    assert not Subscription.objects.exists()


def test_the_notification_endpoints_are_in_the_openapi_schema():
    paths = _client().get(reverse("schema"), {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/subscriptions/",
        "/api/v1/subscriptions/confirm/",
        "/api/v1/subscriptions/unsubscribe/",
        "/api/v1/webhooks/",
        "/api/v1/webhooks/{id}/",
        "/api/v1/webhooks/{id}/rotate-secret/",
        "/api/v1/webhooks/{id}/enable/",
        "/api/v1/webhooks/{id}/deliveries/",
        "/api/v1/webhooks/deliveries/{id}/replay/",
    ):
        assert path in paths
    created = paths["/api/v1/webhooks/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/WebhookEndpointCreated")
