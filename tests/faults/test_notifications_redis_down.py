"""A version published while Redis is down: the publication answers at once, its subscriber email and webhook
delivery wait in the outbox, and both go out once Redis is back."""

from __future__ import annotations

import json
import time

import pytest
from django.core import mail
from django.utils import timezone

from cos_registry.celery import app as celery_app
from outcomes.models import OutboxMessage, Subscription, WebhookDelivery
from outcomes.services import outbox
from outcomes.services.versions import version_publish
from outcomes.tasks import outbox_relay
from tests.factories import WebhookEndpointFactory
from tests.faults.conftest import needs_fault_run
from tests.faults.test_outbox_delivery import QUICK, queued
from tests.outcomes.builders import version_with_content
from tests.outcomes.notifications.receiver import webhook_receiver

pytestmark = [pytest.mark.faults, needs_fault_run]


@pytest.mark.django_db
def test_a_publication_while_redis_is_down_keeps_its_email_and_webhook_in_the_outbox_and_sends_them_later(
    reference_data, production_celery, settings, django_capture_on_commit_callbacks
):
    redis = production_celery
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    version = version_with_content(publish=False)
    cos = version.core_outcome_set
    Subscription.objects.create(email="reader@example.org", core_outcome_set=cos, confirmed_at=timezone.now())
    with webhook_receiver() as receiver:
        WebhookEndpointFactory(url=receiver.url, events=["version.published"])

        redis.stop()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            version_publish(version=version)
        assert time.monotonic() - started < QUICK
        kept = OutboxMessage.objects.filter(sent_at__isnull=True, done_at__isnull=True)
        assert sorted(kept.values_list("task_name", flat=True)) == [
            "outcomes.tasks.subscribers_notify",
            "outcomes.tasks.webhook_deliver",
        ]
        assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.PENDING
        assert mail.outbox == [] and receiver.requests == []

        redis.start()
        assert outbox_relay() == 2
        assert queued(redis) == 2

        # A worker takes them (run here, in-process): the email goes out and the receiver gets the event.
        celery_app.conf.task_always_eager = True
        outbox._broker_down.clear()
        settings.OUTBOX_REDELIVER_SECONDS = 0
        with django_capture_on_commit_callbacks(execute=True):
            outbox_relay()
    (email,) = mail.outbox
    assert email.to == ["reader@example.org"] and email.subject.startswith("Published: ")
    (request,) = receiver.requests
    assert json.loads(request.body)["data"]["version"]["number"] == version.version
    assert not OutboxMessage.objects.filter(done_at__isnull=True).exists()
