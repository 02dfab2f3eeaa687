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
    """Send one message to the broker; True when sent. A broker failure leaves it for the relay."""
    claimed = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False  # already sent by someone else
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        current_app.tasks[message.task_name].apply_async(kwargs=message.kwargs)
    except (OperationalError, ConnectionError, OSError) as exc:
        logger.warning("Broker unavailable, task %s kept in the outbox: %s", message.task_name, exc)
        OutboxMessage.objects.filter(pk=message_id).update(
            sent_at=None, attempts=message.attempts + 1, last_error=str(exc)[:2000]
        )
        return False
    return True


def outbox_relay(*, limit: int = 500) -> int:
    """Send every message still waiting; return how many were sent."""
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).order_by("id").values_list("pk", flat=True)[:limit]
    return sum(outbox_send(message_id=pk) for pk in list(pending))
