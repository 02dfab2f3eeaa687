"""Tasks that cannot be queued (broker away) are kept in the outbox and sent by the relay later."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from outcomes.models import OutboxMessage
from outcomes.services.outbox import outbox_send, task_enqueue
from outcomes.tasks import outbox_relay

# Nothing listens on port 1: connecting is refused at once, as when Redis is down.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.mark.django_db
def test_a_task_that_cannot_be_queued_is_kept_in_the_outbox_and_the_change_still_commits(
    celery_broker, django_capture_on_commit_callbacks
):
    celery_broker(UNREACHABLE_BROKER)
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = task_enqueue(task_name="outcomes.tasks.registry_backup", kwargs={"path": "/tmp/x.json"})
    assert time.monotonic() - started < 10  # the publish fails fast instead of hanging the request
    message.refresh_from_db()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.last_error


@pytest.mark.django_db
def test_the_relay_sends_the_kept_tasks_once_the_broker_is_back(celery_broker, django_capture_on_commit_callbacks):
    celery_broker(UNREACHABLE_BROKER)
    with django_capture_on_commit_callbacks(execute=True):
        kept = [task_enqueue(task_name="outcomes.tasks.outbox_relay", kwargs={}) for _ in range(3)]
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 3
    assert outbox_relay() == 0  # still away: nothing sent, nothing lost
    celery_broker("memory://")
    assert outbox_relay() == 3
    assert not OutboxMessage.objects.filter(pk__in=[m.pk for m in kept], sent_at__isnull=True).exists()
    assert outbox_relay() == 0  # each message is sent once


def test_beat_runs_the_outbox_relay_regularly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-relay"]
    assert entry["task"] == outbox_relay.name
    assert entry["schedule"] <= 300


@pytest.mark.django_db
def test_a_publish_that_fails_unexpectedly_leaves_the_message_unsent(celery_broker):
    celery_broker("memory://")
    message = OutboxMessage.objects.create(task_name="outcomes.tasks.no_such_task", kwargs={})
    with pytest.raises(KeyError):
        outbox_send(message_id=message.pk)
    message.refresh_from_db()
    assert message.sent_at is None  # at least once: the relay will try again
