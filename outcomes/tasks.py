"""Celery tasks: each takes ids or paths, calls one service, and is safe to run twice.

Settings (cos_registry/settings.py) make every task acks_late with reject_on_worker_lost: a worker killed in the
middle of a task leaves the message on the broker and the task runs again, so a task must be idempotent.
"""

from __future__ import annotations

from pathlib import Path

from celery import shared_task
from celery.signals import worker_ready

from outcomes.services import outbox
from outcomes.services.backup import registry_backup_write


@shared_task(name="outcomes.tasks.outbox_relay")
def outbox_relay() -> int:
    """Send the tasks kept in the outbox while the broker was away (beat runs this every minute)."""
    return outbox.outbox_relay()


@shared_task(name="outcomes.tasks.registry_backup")
def registry_backup(*, path: str) -> str:
    """Write a whole-registry backup to `path`; a re-run (after a killed worker) writes the same file."""
    return str(registry_backup_write(path=Path(path)))


@worker_ready.connect
def relay_outbox_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A worker coming up (often: after the broker came back) sends what the outbox kept."""
    outbox_relay.delay()
