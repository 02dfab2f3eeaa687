"""A transactional outbox for Celery tasks.

A service that needs background work calls `task_enqueue` inside its transaction: the message is written with the
change, and sent to the broker once the transaction commits. If the broker is down the message stays unsent and
`outbox_relay` (run by beat, and at worker start) sends it later, so no task is lost while Redis is away.
"""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from outcomes.models import OutboxMessage

logger = logging.getLogger(__name__)


def task_enqueue(*, task_name: str, kwargs: dict) -> OutboxMessage:
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(lambda: outbox_send(message_id=message.pk))
    return message


def outbox_send(*, message_id: int) -> bool:
    """Send one message to the broker; True when sent. A broker failure leaves it for the relay.

    At least once: the row stays locked (and unsent) while it is published, and is marked sent in the same
    transaction, so a process that dies in between leaves it unsent for the relay (tasks are idempotent), and two
    relays never publish the same row at the same time (SKIP LOCKED on PostgreSQL).
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        if message is None:
            return False  # already sent, or being sent by someone else
        try:
            current_app.tasks[message.task_name].apply_async(kwargs=message.kwargs)
        except (OperationalError, ConnectionError, OSError) as exc:
            logger.warning("Broker unavailable, task %s kept in the outbox: %s", message.task_name, exc)
            message.attempts += 1
            message.last_error = str(exc)[:2000]
            message.save(update_fields=["attempts", "last_error"])
            return False
        message.sent_at = timezone.now()
        message.save(update_fields=["sent_at"])
    return True


def outbox_relay(*, limit: int = 500) -> int:
    """Send every message still waiting; return how many were sent."""
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id").values_list("pk", flat=True)[:limit]
    return sum(outbox_send(message_id=pk) for pk in list(pending))
