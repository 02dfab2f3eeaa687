"""Celery tasks: each takes ids, loads the rows and calls a service. Enqueued through the transactional outbox."""

from __future__ import annotations

from celery import shared_task

from outcomes.models import Panelist, Round


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def round_tally(round_id: int) -> int:
    """Tally a closed round (idempotent: a retry or a second run rewrites the same results)."""
    from outcomes.services.tally import round_tally as tally

    round_ = Round.objects.filter(pk=round_id).first()
    if round_ is None:
        return 0
    return len(tally(round=round_))


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def panelist_invitation_send(panelist_id: int) -> bool:
    """Email a panelist a fresh personal link (only its hash is stored)."""
    from outcomes.services.consensus import panelist_invitation_email

    panelist = Panelist.objects.select_related("process__core_outcome_set").filter(pk=panelist_id).first()
    if panelist is None:
        return False
    panelist_invitation_email(panelist=panelist)
    return True


@shared_task
def consensus_reminders_send() -> int:
    """Run by beat (CELERY_BEAT_SCHEDULE): remind panelists who have not completed an open round."""
    from outcomes.services.consensus import reminders_send

    return reminders_send()
