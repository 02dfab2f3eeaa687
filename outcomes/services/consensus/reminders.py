"""Reminder emails for rounds about to close."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from outcomes.models import (
    Panelist,
    Round,
)
from outcomes.services.audit import audit_record
from outcomes.services.emails import email_send


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email every invited panelist who has not completed an open round that closes within the process's
    reminder window. Never one who completed; at most one reminder a day. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    rounds = Round.objects.filter(status=Round.Status.OPEN, closes_at__gt=now).select_related("process")
    for round_ in rounds:
        process = round_.process
        if round_.closes_at - dt.timedelta(days=process.reminder_days_before_close) > now:
            continue
        due = (
            Panelist.objects.filter(
                participations__round=round_,
                participations__completed_at__isnull=True,
                token_revoked_at__isnull=True,
                token_expires_at__gt=now,
            )
            .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - dt.timedelta(hours=23)))
            .order_by("pk")
        )
        for panelist in due:
            with transaction.atomic():
                # Claim the reminder first, so that two beat runs cannot both email the same person.
                claimed = (
                    Panelist.objects.filter(pk=panelist.pk)
                    .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - dt.timedelta(hours=23)))
                    .update(last_reminded_at=now)
                )
                if not claimed:
                    continue
                email_send(
                    template="round_reminder",
                    context={"panelist": panelist, "process": process, "round": round_},
                    to=[panelist.email],
                    language=panelist.language,
                )
                audit_record(
                    action="consensus.reminder_send",
                    obj=panelist,
                    actor_label="system",
                    process=process,
                    after={"round": round_.number},
                )
            sent += 1
    return sent
