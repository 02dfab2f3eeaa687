"""The webhook pages: register (the secret shown once), edit, deliveries, rotate, enable, delete, replay."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import UserFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_registering_on_the_page_shows_the_secret_once_and_never_caches_it():
    owner = UserFactory()
    client = _signed_in(owner)
    response = client.post(
        reverse("web:webhook-list"), {"url": "https://93.184.215.14/in", "events": ["version.published"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert endpoint.secret in response.content.decode()
    assert endpoint.owner == owner
    assert endpoint.secret not in client.get(reverse("web:webhook-detail", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in client.get(reverse("web:webhook-list")).content.decode()


def test_a_private_address_or_no_event_is_a_form_error_and_registers_nothing():
    client = _signed_in(UserFactory())
    response = client.post(reverse("web:webhook-list"), {"url": "https://169.254.169.254/latest", "events": []})
    body = response.content.decode()
    assert response.status_code == 400
    assert "This field is required." in body  # events
    response = client.post(
        reverse("web:webhook-list"), {"url": "https://169.254.169.254/latest", "events": ["version.published"]}
    )
    assert response.status_code == 400 and "link-local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_endpoint_page_saves_new_events():
    endpoint = WebhookEndpointFactory(url="https://93.184.215.14/in")
    client = _signed_in(endpoint.owner)
    url = reverse("web:webhook-detail", args=[endpoint.pk])
    response = client.post(url, {"url": endpoint.url, "events": ["version.withdrawn"]})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["version.withdrawn"]


def test_the_endpoint_page_lists_deliveries_and_attempts_in_a_fixed_number_of_queries():
    endpoint = WebhookEndpointFactory()
    client = _signed_in(endpoint.owner)
    url = reverse("web:webhook-detail", args=[endpoint.pk])

    def add(count: int) -> None:
        for _ in range(count):
            n = WebhookDelivery.objects.count()
            delivery = WebhookDelivery.objects.create(
                endpoint=endpoint, message_id=f"msg_page_{n}", event_type="version.published", payload={}
            )
            WebhookAttempt.objects.create(delivery=delivery, status_code=502, duration_ms=40, response_excerpt="Bad")

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add(6)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    body = response.content.decode()
    assert "msg_page_7" in body and "HTTP 502, 40 ms" in body
    assert len(many) == len(few)


def test_rotating_on_the_page_shows_the_new_secret_and_the_old_ones_grace_period():
    endpoint = WebhookEndpointFactory()
    response = _signed_in(endpoint.owner).post(reverse("web:webhook-rotate", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    body = response.content.decode()
    assert endpoint.secret in body and "previous secret keeps signing" in body


def test_another_user_gets_a_404_for_every_page_of_an_endpoint_and_changes_nothing():
    endpoint = WebhookEndpointFactory()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, message_id="msg_x", event_type="version.published", payload={}, status="failed"
    )
    client = _signed_in(UserFactory())
    assert client.get(reverse("web:webhook-detail", args=[endpoint.pk])).status_code == 404
    for name, pk in (
        ("web:webhook-rotate", endpoint.pk),
        ("web:webhook-delete", endpoint.pk),
        ("web:webhook-enable", endpoint.pk),
        ("web:webhook-delivery-replay", delivery.pk),
    ):
        assert client.post(reverse(name, args=[pk])).status_code == 404
    secret = endpoint.secret
    endpoint.refresh_from_db()
    delivery.refresh_from_db()
    assert endpoint.secret == secret and delivery.status == "failed"


def test_deleting_on_the_page_removes_the_endpoint():
    endpoint = WebhookEndpointFactory()
    response = _signed_in(endpoint.owner).post(reverse("web:webhook-delete", args=[endpoint.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("web:webhook-list")
    assert not WebhookEndpoint.objects.exists()


def test_admins_see_endpoints_and_deliveries_in_the_admin_without_their_secrets():
    from tests.factories import SiteAdminFactory

    endpoint = WebhookEndpointFactory()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, message_id="msg_admin", event_type="version.published", payload={}
    )
    WebhookAttempt.objects.create(delivery=delivery, status_code=500, response_excerpt="oops")
    client = _signed_in(SiteAdminFactory())
    page = client.get(reverse("admin:outcomes_webhookendpoint_change", args=[endpoint.pk]))
    assert page.status_code == 200 and endpoint.secret not in page.content.decode()
    page = client.get(reverse("admin:outcomes_webhookdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200 and "oops" in page.content.decode()
