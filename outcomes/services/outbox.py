"""A transactional outbox for Celery tasks, delivered end to end.

A service that needs background work calls `task_enqueue` inside its transaction: the message is written with the
change, and published to the broker once the transaction commits. A message is done only when its task has done
its work (`outbox_task_run`, called by the task, records it). `outbox_relay` (run by beat, and at worker start)
publishes what was never sent (broker away) and sends again what was sent but is not done
`OUTBOX_REDELIVER_SECONDS` later (the broker lost its queue, a worker lost the task). So Redis can lose its memory
and no task is lost; a task may run more than once, and `outbox_task_run` makes the second run do nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import TypeVar

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outcomes.models import OutboxMessage

logger = logging.getLogger(__name__)

T = TypeVar("T")

# After a failed publish this process leaves new messages to the relay for a while, instead of making every
# request that commits wait for another connect timeout (a small circuit breaker, as in cos_registry/cache.py).
BROKER_RETRY_AFTER_SECONDS = 10.0
_broker_down: dict[str, float] = {}  # broker URL -> monotonic time until which it is left alone


def task_enqueue(*, task_name: str, kwargs: dict) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_send(message_id=message.pk))
    return message


def _due() -> Q:
    """Not done, and never sent or sent longer ago than the redelivery deadline."""
    deadline = timezone.now() - dt.timedelta(seconds=settings.OUTBOX_REDELIVER_SECONDS)
    return Q(done_at__isnull=True) & (Q(sent_at__isnull=True) | Q(sent_at__lte=deadline))


def outbox_send(*, message_id: int) -> bool:
    """Publish one due message to the broker; True when published. Never raises for a broker failure: the
    change that enqueued it has committed, so the message is left for the relay and the caller carries on.

    The row stays locked while it is published and `sent_at` is written in the same transaction, so two relays
    never publish the same row at the same time (SKIP LOCKED on PostgreSQL).
    """
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(_due(), pk=message_id).first()
        if message is None:
            return False  # done, sent recently, or being sent by someone else
        task = current_app.tasks[message.task_name]
        broker = current_app.conf.broker_url
        try:
            if time.monotonic() < _broker_down.get(broker, 0.0):
                raise ConnectionError("the broker failed a moment ago; left for the relay")
            task.apply_async(kwargs={**message.kwargs, "outbox_message_id": message.pk})
        except Exception as exc:  # any failure to publish (connection, timeout, Redis, kombu): keep it
            if current_app.conf.task_always_eager:
                raise  # no broker: the task ran here and failed, a bug to show, not a message to keep
            _broker_down[broker] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            logger.warning("Broker unavailable, task %s kept in the outbox: %s", message.task_name, exc)
            message.attempts += 1
            message.last_error = str(exc)[:2000]
            message.save(update_fields=["attempts", "last_error"])
            return False
        if message.sent_at is not None:
            logger.warning(
                "Task %s (outbox message %s) was not done %s s after it was sent: sent again",
                message.task_name,
                message.pk,
                settings.OUTBOX_REDELIVER_SECONDS,
            )
            message.attempts += 1
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at", "attempts"])
    return True


def outbox_relay(*, limit: int = 500) -> int:
    """Publish every due message (never sent, or not done within the deadline); return how many were sent."""
    _broker_down.clear()  # the relay always tries the broker
    pending = OutboxMessage.objects.filter(_due()).order_by("id").values_list("pk", flat=True)[:limit]
    return sum(outbox_send(message_id=pk) for pk in list(pending))


def outbox_task_run(*, message_id: int | None, work: Callable[[], T], exclusive: bool = True) -> T | None:
    """Run a task's work once per outbox message, and record the message done in the same transaction.

    The message row stays locked while the work runs: a second copy of the task (sent again by the relay, or
    redelivered by the broker) skips a message that is done or running elsewhere, so one message sends one email.
    If the work fails, nothing is recorded and the relay sends the message again after the deadline. A task called
    without a message (beat, tests, a shell) just runs.

    `exclusive=False` is for work that guards itself and must commit as it goes (a dump claims its row and shows
    "running" while it builds): it runs outside the lock, and the message is recorded done after it.
    """
    if message_id is None:
        return work()
    if not exclusive:
        if OutboxMessage.objects.filter(pk=message_id, done_at__isnull=False).exists():
            return None
        result = work()
        OutboxMessage.objects.filter(pk=message_id, done_at__isnull=True).update(done_at=timezone.now())
        return result
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, done_at__isnull=True)
            .first()
        )
        if message is None:
            return None  # done already, or running in another worker right now
        result = work()
        message.done_at = timezone.now()
        message.save(update_fields=["done_at"])
    return result
