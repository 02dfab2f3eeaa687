"""Celery tasks: each takes ids (or a path), loads the rows and calls a service. Enqueued through the outbox.

Settings (cos_registry/settings.py) make every task acks_late with reject_on_worker_lost: a worker killed in the
middle of a task leaves the message on the broker and the task runs again, so every task must be idempotent.
A task enqueued through the outbox gets `outbox_message_id` and runs its work through `outbox.outbox_task_run`,
which records the message done (the relay sends it again otherwise) and makes a second run of it do nothing.
"""

from __future__ import annotations

from pathlib import Path

from celery import shared_task
from celery.signals import worker_ready

from outcomes.models import CoreOutcomeSetVersion, Panelist, RegistryDump, Round, Subscription, WebhookEndpoint
from outcomes.services import outbox
from outcomes.services.backup import registry_backup_write
from outcomes.services.dumps import registry_dump_build as registry_dump_build_service


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def round_tally(round_id: int, outbox_message_id: int | None = None) -> int | None:
    """Tally a closed round (idempotent: a retry or a second run rewrites the same results)."""
    from outcomes.services.tally import round_tally as tally

    def work() -> int:
        round_ = Round.objects.filter(pk=round_id).first()
        return tally(round=round_) if round_ is not None else 0

    return outbox.outbox_task_run(message_id=outbox_message_id, work=work)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def panelist_invitation_send(panelist_id: int, outbox_message_id: int | None = None) -> bool:
    """Email a panelist a fresh personal link (only its hash is stored); once per outbox message."""
    from outcomes.services.consensus import panelist_invitation_email

    def work() -> bool:
        panelist = Panelist.objects.select_related("process__core_outcome_set").filter(pk=panelist_id).first()
        if panelist is None:
            return False  # removed since: done, nothing to send
        panelist_invitation_email(panelist=panelist)
        return True

    return bool(outbox.outbox_task_run(message_id=outbox_message_id, work=work))


@shared_task
def consensus_reminders_send() -> int:
    """Run by beat (CELERY_BEAT_SCHEDULE): remind panelists who have not completed an open round."""
    from outcomes.services.consensus import reminders_send

    return reminders_send()


@shared_task(name="outcomes.tasks.outbox_relay")
def outbox_relay(outbox_message_id: int | None = None) -> int:
    """Send the tasks kept in the outbox (broker away) or not done in time (beat runs this every minute)."""
    return outbox.outbox_task_run(message_id=outbox_message_id, work=outbox.outbox_relay) or 0


@shared_task(name="outcomes.tasks.registry_backup")
def registry_backup(*, path: str, outbox_message_id: int | None = None) -> str:
    """Write a whole-registry backup to `path`; a re-run (after a killed worker) writes the same file."""
    written = outbox.outbox_task_run(message_id=outbox_message_id, work=lambda: registry_backup_write(path=Path(path)))
    return str(written) if written is not None else "skipped"


@worker_ready.connect
def relay_outbox_when_a_worker_starts(sender=None, **kwargs) -> None:
    """A worker coming up (often: after the broker came back) sends what the outbox kept."""
    outbox_relay.delay()


@shared_task(name="outcomes.tasks.registry_dump_build", acks_late=True)
def registry_dump_build(dump_id: str, outbox_message_id: int | None = None) -> str:
    def work() -> str:
        dump = RegistryDump.objects.filter(pk=dump_id).first()
        return registry_dump_build_service(dump=dump).status if dump is not None else "missing"

    # The dump claims itself (pending -> running) and shows its progress: it runs outside the outbox lock.
    return outbox.outbox_task_run(message_id=outbox_message_id, work=work, exclusive=False) or "skipped"


# --- Change notifications (docs/notifications.md) -----------------------------------------------------------------


@shared_task(name="outcomes.tasks.subscription_confirmation_send", autoretry_for=(OSError,), retry_backoff=True)
def subscription_confirmation_send(subscription_id: int, outbox_message_id: int | None = None) -> bool:
    """The double opt-in email of a subscription request; once per outbox message."""
    from outcomes.services.subscriptions import subscription_confirmation_email

    def work() -> bool:
        subscription = (
            Subscription.objects.select_related("core_outcome_set", "disease_area").filter(pk=subscription_id).first()
        )
        if subscription is None or subscription.is_active:
            return False
        subscription_confirmation_email(subscription=subscription)
        return True

    return bool(outbox.outbox_task_run(message_id=outbox_message_id, work=work))


@shared_task(name="outcomes.tasks.subscribers_notify")
def subscribers_notify(version_id: int, event_type: str, outbox_message_id: int | None = None) -> int:
    """Fan a publication or withdrawal out to one email task per subscriber, in the outbox message's transaction."""
    from outcomes.services.subscriptions import subscribers_notify as notify

    def work() -> int:
        return notify(version_id=version_id, event_type=event_type)

    return outbox.outbox_task_run(message_id=outbox_message_id, work=work) or 0


@shared_task(name="outcomes.tasks.subscription_notification_send", autoretry_for=(OSError,), retry_backoff=True)
def subscription_notification_send(
    subscription_id: int, version_id: int, event_type: str, outbox_message_id: int | None = None
) -> bool:
    """One subscriber's email about one publication or withdrawal; once per outbox message."""
    from outcomes.services.subscriptions import subscription_notification_email

    def work() -> bool:
        subscription = (
            Subscription.objects.select_related("core_outcome_set", "disease_area").filter(pk=subscription_id).first()
        )
        version = CoreOutcomeSetVersion.objects.select_related("core_outcome_set").filter(pk=version_id).first()
        if subscription is None or version is None:
            return False
        return subscription_notification_email(subscription=subscription, version=version, event_type=event_type)

    return bool(outbox.outbox_task_run(message_id=outbox_message_id, work=work))


@shared_task(name="outcomes.tasks.webhook_deliver")
def webhook_deliver(endpoint_id: int, outbox_message_id: int | None = None) -> int:
    """Send an endpoint's due deliveries in order. Each attempt commits on its own (with the endpoint locked), so
    the work runs outside the outbox lock and the message is recorded done after it."""
    from outcomes.services.webhooks import webhook_endpoint_deliver

    def work() -> int:
        return webhook_endpoint_deliver(endpoint_id=endpoint_id)

    return outbox.outbox_task_run(message_id=outbox_message_id, work=work, exclusive=False) or 0


@shared_task(name="outcomes.tasks.webhook_retries_send")
def webhook_retries_send() -> int:
    """Run by beat (CELERY_BEAT_SCHEDULE): deliveries whose retry is due are sent again."""
    from outcomes.services.webhooks import webhook_retries_enqueue

    return webhook_retries_enqueue()


@shared_task(name="outcomes.tasks.webhook_disabled_email_send", autoretry_for=(OSError,), retry_backoff=True)
def webhook_disabled_email_send(endpoint_id: int, outbox_message_id: int | None = None) -> bool:
    """Tell an endpoint's owner it was disabled after repeated failures; once per outbox message."""
    from outcomes.services.webhooks import webhook_disabled_email

    def work() -> bool:
        endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
        return endpoint is not None and webhook_disabled_email(endpoint=endpoint)

    return bool(outbox.outbox_task_run(message_id=outbox_message_id, work=work))


@shared_task(name="outcomes.tasks.http_cache_purge", autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def http_cache_purge(core_outcome_set_id: int, outbox_message_id: int | None = None) -> int:
    """Purge shared caches of what a publication or withdrawal changed (idempotent: a second purge is harmless)."""
    from outcomes.services.cache_purge import cache_purge

    urls = outbox.outbox_task_run(
        message_id=outbox_message_id, work=lambda: cache_purge(core_outcome_set_id=core_outcome_set_id)
    )
    return len(urls or [])
