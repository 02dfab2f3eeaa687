"""Webhooks: registration checks (SSRF), signed deliveries to a real receiver on 127.0.0.1, retries, ordering,
rotation, disabling, replay, and the version events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from outcomes.models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from outcomes.services import webhooks
from outcomes.services.versions import version_publish, version_withdraw
from outcomes.tasks import webhook_retries_send
from tests.factories import UserFactory, WebhookEndpointFactory
from tests.outcomes.builders import version_with_content
from tests.outcomes.notifications.receiver import webhook_receiver

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def loopback_allowed(settings):
    """The test setting: the receiver listens on 127.0.0.1 over http; retries are due at once."""
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0, 0]
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 50
    return settings


def _emit(capture, event_type: str = "adoption.verified", **data) -> list[WebhookDelivery]:
    with capture(execute=True):
        return webhooks.webhook_event_emit(event_type=event_type, payload=data or {"n": 1})


def _retry(capture) -> None:
    with capture(execute=True):
        webhook_retries_send()


def _field_error(excinfo: pytest.ExceptionInfo, field: str) -> str:
    return " ".join(excinfo.value.message_dict[field])


# --- Which targets are refused (SSRF) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 (an address checked, not bound)
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not a public"),  # carrier-grade NAT
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ],
)
def test_private_loopback_link_local_multicast_reserved_and_unspecified_addresses_are_refused(address, why):
    assert why in webhooks.address_refusal(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert webhooks.address_refusal(address) is None


def test_the_test_setting_allows_loopback_and_private_but_never_unspecified_or_multicast(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    assert webhooks.address_refusal("127.0.0.1") is None
    assert webhooks.address_refusal("10.0.0.1") is None
    assert webhooks.address_refusal("0.0.0.0") is not None  # noqa: S104
    assert webhooks.address_refusal("224.0.0.1") is not None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://[::1]/hook", "loopback"),
        ("https://[::ffff:169.254.169.254]/latest/meta-data", "link-local"),
        ("https://10.0.0.5:8443/hook", "private"),
        ("https://localhost/hook", "localhost resolves to"),
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://93.184.215.14/hook", "https://"),
        ("https://user:pw@93.184.215.14/hook", "user name or password"),
        ("https:///hook", "no host"),
        ("https://93.184.215.14:99999/hook", "port"),
        ("https://exa mple.org/hook", "not valid"),
        ("https://-bad-.example.org/hook", "not valid"),
        ("https://2130706433/hook", "loopback"),  # 127.0.0.1 written as one number
        ("not a url", "https://"),
        ("", "Give the URL"),
    ],
)
def test_registering_an_endpoint_refuses_a_bad_or_private_url_and_creates_nothing(url, message):
    owner = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        webhooks.webhook_endpoint_create(owner=owner, url=url, events=["version.published"])
    assert message in _field_error(excinfo, "url")
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(action="webhook.create").exists()


def test_a_name_that_does_not_resolve_yet_is_accepted_and_each_delivery_resolves_it_again(
    settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    owner = UserFactory()
    webhooks.webhook_endpoint_create(
        owner=owner, url="https://hooks.registry.invalid/cos", events=["adoption.verified"]
    )
    (delivery,) = _emit(django_capture_on_commit_callbacks)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "hooks.registry.invalid does not resolve" in attempt.error


def test_registering_refuses_an_unknown_event_or_none():
    owner = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        webhooks.webhook_endpoint_create(owner=owner, url="https://93.184.215.14/h", events=["version.deleted"])
    assert "Unknown event version.deleted" in _field_error(excinfo, "events")
    with pytest.raises(ValidationError) as excinfo:
        webhooks.webhook_endpoint_create(owner=owner, url="https://93.184.215.14/h", events=[])
    assert "at least one" in _field_error(excinfo, "events")


def test_registering_a_public_https_endpoint_returns_a_whsec_secret_and_audits_without_it():
    owner = UserFactory()
    endpoint, secret = webhooks.webhook_endpoint_create(
        owner=owner, url="https://93.184.215.14/hook", events=["version.withdrawn", "version.published"]
    )
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert endpoint.events == ["version.published", "version.withdrawn"]
    event = AuditEvent.objects.get(action="webhook.create", object_id=str(endpoint.pk))
    assert event.actor == owner and secret not in json.dumps(event.after)


# --- Deliveries to a real receiver ----------------------------------------------------------------------------------


def test_a_delivery_is_json_signed_per_standard_webhooks_and_verifies_with_the_reference_library(
    loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        (delivery,) = _emit(django_capture_on_commit_callbacks, adoption_id=7)
    (request,) = receiver.requests
    assert request.path == "/hooks/cos"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"] == delivery.message_id
    body = json.loads(request.body)
    assert body["type"] == "adoption.verified" and body["data"] == {"adoption_id": 7}
    # The reference implementation accepts it...
    assert Webhook(endpoint.secret).verify(request.body, request.headers) == body
    # ...and so does the spec's algorithm written out here.
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode() + request.body
    key = base64.b64decode(endpoint.secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert request.headers["webhook-signature"] == f"v1,{expected}"
    # Another secret does not verify it.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.webhook_secret_generate()).verify(request.body, request.headers)
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1


def test_a_failed_attempt_is_logged_and_retried_with_the_same_webhook_id_until_it_succeeds(
    loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver(statuses=[500]) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        (delivery,) = _emit(django_capture_on_commit_callbacks)
        delivery.refresh_from_db()
        assert delivery.status == Status.PENDING and delivery.attempt_count == 1
        _retry(django_capture_on_commit_callbacks)
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.message_id
    assert first.body == second.body
    Webhook(endpoint.secret).verify(second.body, second.headers)
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 2
    failed, succeeded = WebhookAttempt.objects.filter(delivery=delivery).order_by("id")
    assert (failed.status_code, failed.succeeded) == (500, False)
    assert (succeeded.status_code, succeeded.succeeded) == (200, True)
    assert failed.response_excerpt.startswith("answer 500") and len(failed.response_excerpt) == 500  # truncated
    assert failed.duration_ms >= 0
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_the_retry_schedule_waits_longer_after_each_failure_then_gives_up(
    loopback_allowed, django_capture_on_commit_callbacks
):
    loopback_allowed.WEBHOOK_RETRY_SCHEDULE = [30, 120]
    with webhook_receiver(statuses=[503, 503, 503]) as receiver:
        WebhookEndpointFactory(url=receiver.url)
        (delivery,) = _emit(django_capture_on_commit_callbacks)
        delays = []
        for _ in range(3):
            delivery.refresh_from_db()
            if delivery.status != Status.PENDING:
                break
            delays.append((delivery.next_attempt_at - delivery.attempts.first().attempted_at).total_seconds())
            _retry(django_capture_on_commit_callbacks)  # not due yet: nothing is sent
            WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.created_at)
            _retry(django_capture_on_commit_callbacks)
    assert [round(d) for d in delays] == [30, 120]
    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempt_count == 3 and len(receiver.requests) == 3


def test_deliveries_to_one_endpoint_arrive_in_the_order_of_the_events_even_when_the_first_is_retried(
    loopback_allowed, django_capture_on_commit_callbacks
):
    loopback_allowed.WEBHOOK_RETRY_SCHEDULE = [60]
    with webhook_receiver(statuses=[500]) as receiver:
        WebhookEndpointFactory(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            for n in range(1, 4):
                webhooks.webhook_event_emit(event_type="adoption.verified", payload={"n": n})
        assert [json.loads(r.body)["data"]["n"] for r in receiver.requests] == [1]  # the rest wait behind it
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())  # the minute has passed
        _retry(django_capture_on_commit_callbacks)
    assert [json.loads(r.body)["data"]["n"] for r in receiver.requests] == [1, 1, 2, 3]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.SUCCEEDED}


def test_an_endpoint_gets_only_the_events_it_chose_and_a_disabled_one_none(
    loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url, events=["version.withdrawn"])
        WebhookEndpointFactory(url=receiver.url, is_enabled=False)
        assert _emit(django_capture_on_commit_callbacks, "adoption.verified") == []
    assert receiver.requests == []


def test_emitting_an_unknown_event_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown webhook event"):
        webhooks.webhook_event_emit(event_type="version.deleted", payload={})


def test_a_rolled_back_change_sends_no_webhook(loopback_allowed, django_capture_on_commit_callbacks):
    from django.db import transaction

    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    webhooks.webhook_event_emit(event_type="adoption.verified", payload={})
                    raise RuntimeError("the change fails")
            except RuntimeError:
                pass
    assert receiver.requests == [] and callbacks == [] and not WebhookDelivery.objects.exists()


# --- Secrets ---------------------------------------------------------------------------------------------------------


def test_after_a_rotation_deliveries_carry_both_signatures_until_the_grace_period_ends(
    loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        old = endpoint.secret
        new = webhooks.webhook_secret_rotate(endpoint=endpoint, by=endpoint.owner)
        _emit(django_capture_on_commit_callbacks)
        loopback_allowed.WEBHOOK_SECRET_GRACE_SECONDS = 0
        webhooks.webhook_secret_rotate(endpoint=endpoint, by=endpoint.owner)
        endpoint.refresh_from_db()
        _emit(django_capture_on_commit_callbacks)
    during, after = receiver.requests
    assert new != old and len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(endpoint.secret).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)
    assert AuditEvent.objects.filter(action="webhook.rotate_secret", object_id=str(endpoint.pk)).count() == 2


# --- Disabling, enabling, replay -------------------------------------------------------------------------------------


def test_an_endpoint_is_disabled_after_repeated_failures_its_owner_is_emailed_and_enabling_sends_what_waited(
    loopback_allowed, django_capture_on_commit_callbacks
):
    loopback_allowed.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    with webhook_receiver(statuses=[500, 500]) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url, owner=UserFactory(email="owner@example.org"))
        (delivery,) = _emit(django_capture_on_commit_callbacks)
        _retry(django_capture_on_commit_callbacks)
        endpoint.refresh_from_db()
        assert not endpoint.is_enabled and endpoint.disabled_reason == "2 failed attempts in a row."
        (email,) = mail.outbox
        assert email.to == ["owner@example.org"] and endpoint.url in email.subject
        assert f"/webhooks/{endpoint.pk}/" in email.body
        _retry(django_capture_on_commit_callbacks)
        assert len(receiver.requests) == 2  # disabled: nothing more is sent
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.webhook_endpoint_enable(endpoint=endpoint, by=endpoint.owner)
    assert len(receiver.requests) == 3
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and endpoint.is_enabled and endpoint.consecutive_failures == 0
    assert AuditEvent.objects.filter(action="webhook.disable", object_id=str(endpoint.pk)).exists()
    assert AuditEvent.objects.filter(action="webhook.enable", object_id=str(endpoint.pk)).exists()
    with pytest.raises(ValidationError):
        webhooks.webhook_endpoint_enable(endpoint=endpoint, by=endpoint.owner)


def test_a_finished_delivery_is_replayed_with_the_same_id_and_body(
    loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        (delivery,) = _emit(django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.webhook_delivery_replay(delivery=delivery, by=endpoint.owner)
    first, replayed = receiver.requests
    assert replayed.headers["webhook-id"] == first.headers["webhook-id"] and replayed.body == first.body
    assert delivery.attempts.count() == 2
    assert AuditEvent.objects.filter(action="webhook.replay", object_id=str(delivery.pk)).exists()


def test_a_pending_delivery_cannot_be_replayed(loopback_allowed, django_capture_on_commit_callbacks):
    with webhook_receiver(statuses=[500]) as receiver:
        endpoint = WebhookEndpointFactory(url=receiver.url)
        (delivery,) = _emit(django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as excinfo:
        webhooks.webhook_delivery_replay(delivery=delivery, by=endpoint.owner)
    assert "still being sent" in _field_error(excinfo, "status")


# --- Checked again at delivery time ----------------------------------------------------------------------------------


def test_a_host_that_resolves_to_a_private_address_at_delivery_time_gets_nothing(
    settings, monkeypatch, django_capture_on_commit_callbacks
):
    """DNS rebinding: the name looked public when it was registered; now it answers 127.0.0.1."""
    settings.WEBHOOK_RETRY_SCHEDULE = [0]
    with webhook_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        endpoint = WebhookEndpointFactory(url=f"https://rebind.example.org:{port}/hooks/cos")
        real = socket.getaddrinfo

        def rebound(host, *args, **kwargs):
            if host == "rebind.example.org":
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebound)
        (delivery,) = _emit(django_capture_on_commit_callbacks)
    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.status_code is None and "resolves to 127.0.0.1" in attempt.error and "loopback" in attempt.error
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 1


def test_the_connection_goes_to_the_address_that_was_checked_with_the_host_name_in_the_host_header(
    loopback_allowed, monkeypatch, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        WebhookEndpointFactory(url=f"http://receiver.example.org:{port}/hooks/cos")
        answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]])
        real = socket.getaddrinfo

        def resolve_once(host, *args, **kwargs):
            # The first lookup (the check) answers the receiver; any later lookup would fail.
            if host == "receiver.example.org":
                return next(answers)
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve_once)
        _emit(django_capture_on_commit_callbacks)
    (request,) = receiver.requests
    assert request.headers["host"] == f"receiver.example.org:{port}"


# --- The version events ----------------------------------------------------------------------------------------------


def test_publishing_and_withdrawing_a_version_call_the_webhooks_with_the_version(
    reference_data, loopback_allowed, django_capture_on_commit_callbacks
):
    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url, events=["version.published", "version.withdrawn"])
        version = version_with_content(publish=False)
        with django_capture_on_commit_callbacks(execute=True):
            version_publish(version=version)
        with django_capture_on_commit_callbacks(execute=True):
            version_withdraw(version=version, reason="A transcription error in outcome 2.")
    published, withdrawn = (json.loads(r.body) for r in receiver.requests)
    slug = version.core_outcome_set.slug
    assert published["type"] == "version.published" and withdrawn["type"] == "version.withdrawn"
    assert published["data"]["core_outcome_set"]["slug"] == slug
    assert published["data"]["version"]["number"] == "1.0.0"
    assert published["data"]["version"]["status"] == "published"
    assert published["data"]["version"]["url"].endswith(f"/sets/{slug}/v/1.0.0/")
    assert published["data"]["version"]["api_url"].endswith(f"/api/v1/core-outcome-sets/{slug}/versions/1.0.0/")
    assert withdrawn["data"]["version"]["status"] == "withdrawn"
    assert withdrawn["data"]["version"]["withdrawn_reason"] == "A transcription error in outcome 2."
