"""Tasks that cannot be queued (broker away) are kept in the outbox and sent by the relay later."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from outcomes.models import OutboxMessage
from outcomes.services.consensus import panelist_invite
from outcomes.services.outbox import outbox_send, task_enqueue
from outcomes.tasks import outbox_relay, panelist_invitation_send
from tests.factories import UserFactory
from tests.outcomes.consensus.conftest import make_process

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


@pytest.mark.django_db
def test_a_message_sent_but_not_done_is_sent_again_after_the_deadline_and_not_before(
    celery_broker, settings, django_capture_on_commit_callbacks
):
    celery_broker("memory://")  # accepts the message; no worker runs it
    settings.OUTBOX_REDELIVER_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=True):
        message = task_enqueue(task_name="outcomes.tasks.outbox_relay", kwargs={})
    message.refresh_from_db()
    assert message.sent_at is not None and message.done_at is None
    assert outbox_relay() == 0  # within the deadline: the task may still be waiting for a worker
    OutboxMessage.objects.filter(pk=message.pk).update(sent_at=message.sent_at - dt.timedelta(seconds=601))
    assert outbox_relay() == 1  # past it: the broker may have lost it, so it is sent again
    message.refresh_from_db()
    assert message.attempts == 1 and message.sent_at > timezone.now() - dt.timedelta(seconds=60)
    long_ago = message.sent_at - dt.timedelta(days=1)
    OutboxMessage.objects.filter(pk=message.pk).update(done_at=timezone.now(), sent_at=long_ago)
    assert outbox_relay() == 0  # done: never sent again


@pytest.mark.django_db
def test_an_invitation_task_run_twice_for_one_outbox_message_sends_one_email(reference_data):
    facilitator = UserFactory(username="facilitator")
    process = make_process(facilitator)
    panelist = panelist_invite(process=process, email="ann@example.org", by=facilitator, send_invitation=False)
    message = task_enqueue(task_name=panelist_invitation_send.name, kwargs={"panelist_id": panelist.pk})
    for _ in range(2):  # the broker delivered it twice (sent again by the relay, or redelivered)
        panelist_invitation_send(panelist_id=panelist.pk, outbox_message_id=message.pk)
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    message.refresh_from_db()
    assert message.done_at is not None
    panelist_invitation_send(panelist_id=panelist.pk)  # a resend outside the outbox (a shell, beat) still sends
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_task_whose_row_is_gone_records_its_message_done_so_it_is_not_sent_again_forever():
    message = task_enqueue(task_name=panelist_invitation_send.name, kwargs={"panelist_id": 999999})
    assert panelist_invitation_send(panelist_id=999999, outbox_message_id=message.pk) is False
    message.refresh_from_db()
    assert message.done_at is not None
