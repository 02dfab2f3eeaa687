"""Delphi rounds: create, open and close."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from outcomes.models import (
    ConsensusProcess,
    ItemResult,
    Participation,
    Round,
    RoundItem,
)
from outcomes.selectors.consensus import item_latest_results
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import Process, _lock_round
from outcomes.services.consensus.translations import translations_refuse_missing
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.outbox import task_enqueue


@transaction.atomic
def round_create(
    *,
    process: ConsensusProcess,
    by: AbstractBaseUser | None,
    kind: str = Round.Kind.DELPHI,
    closes_at: dt.datetime | None = None,
    allow_suggestions: bool | None = None,
    item_ids: Sequence[int] | None = None,
) -> Round:
    """Create the next round (a draft) with its items.

    Round 1 holds every candidate. A later Delphi round holds the previous round's items the process carries
    forward (all, or those without consensus) plus items never rated yet (accepted suggestions). A meeting
    round holds the items without consensus in. `item_ids` overrides the choice.
    """
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=process.pk)
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("process", "The process is finalised.")
    previous = process.rounds.order_by("-number").first()
    if previous is not None and previous.status != Round.Status.CLOSED:
        raise _refuse("round", f"Round {previous.number} must be closed before the next one is created.")
    if previous is not None and previous.kind == Round.Kind.MEETING:
        raise _refuse("round", "The consensus meeting was the last round; finalise the process.")
    if closes_at is not None and closes_at <= timezone.now():
        raise _refuse("closes_at", "The closing date must be in the future.")
    outcome_items = process.items.all()
    if item_ids is not None:
        items = list(outcome_items.filter(pk__in=item_ids))
        if len(items) != len(set(item_ids)):
            raise _refuse("item_ids", "Every item must be a candidate of this process.")
    elif previous is None:
        items = list(outcome_items)
    else:
        if previous.tallied_at is None:
            from outcomes.services.tally import round_tally

            round_tally(round=previous)
        latest = item_latest_results(process)
        previous_items = set(previous.round_items.values_list("item_id", flat=True))
        never_rated = set(outcome_items.filter(round_items__isnull=True).values_list("pk", flat=True))
        if kind == Round.Kind.MEETING:
            chosen = {pk for pk, r in latest.items() if r.classification != ItemResult.Classification.IN}
        elif process.carry_forward == Process.CarryForward.NO_CONSENSUS:
            chosen = {
                pk
                for pk in previous_items
                if pk not in latest or latest[pk].classification == ItemResult.Classification.NONE
            }
        else:
            chosen = previous_items
        items = list(outcome_items.filter(pk__in=chosen | never_rated))
    if not items:
        raise _refuse("item_ids", "The round would have no items to rate.")
    number = (previous.number + 1) if previous else 1
    round_ = Round.objects.create(
        process=process,
        number=number,
        kind=kind,
        closes_at=closes_at,
        allow_suggestions=(number == 1) if allow_suggestions is None else allow_suggestions,
    )
    RoundItem.objects.bulk_create(RoundItem(round=round_, item=item, order=i) for i, item in enumerate(items))
    audit_record(
        action="consensus.round_create",
        obj=round_,
        actor=by,
        process=process,
        after={"number": number, "kind": kind, "items": len(items)},
    )
    return round_


@transaction.atomic
def round_open(*, round: Round, by: AbstractBaseUser | None) -> Round:
    """Open a draft round and invite its participants. Opening round 1 locks the consensus definition.
    A round with a text lacking a reviewed translation in one of the process's languages is refused, listing them.

    Participants: round 1 and meeting-less "all" processes invite every active panelist; otherwise only those who
    completed the previous round (ConsensusProcess.next_round_invitees).
    """
    round_ = _lock_round(round, shared=False)
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=round_.process_id)
    if round_.status != Round.Status.DRAFT:
        raise _refuse("status", f"Round {round_.number} is {round_.get_status_display().lower()}, not a draft.")
    if process.rounds.filter(status=Round.Status.OPEN).exists():
        raise _refuse("status", "Another round is open; close it first.")
    if round_.closes_at is not None and round_.closes_at <= timezone.now():
        raise _refuse("closes_at", "The closing date has passed; set a later one.")
    # Every panelist reads the round in their language: each text needs a reviewed translation in every one.
    translations_refuse_missing(process=process, items=[ri.item for ri in round_.round_items.select_related("item")])
    now = timezone.now()
    panelists = process.panelists.filter(token_revoked_at__isnull=True)
    previous = process.rounds.filter(number=round_.number - 1).first()
    if previous is not None and process.next_round_invitees == Process.Invitees.COMPLETED_PREVIOUS:
        panelists = panelists.filter(participations__round=previous, participations__completed_at__isnull=False)
    Participation.objects.bulk_create(
        [Participation(round=round_, panelist_id=pk, invited_at=now) for pk in panelists.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    round_.status = Round.Status.OPEN
    round_.opened_at = now
    round_.opens_at = round_.opens_at or now
    round_.save(update_fields=["status", "opened_at", "opens_at"])
    if process.definition_locked_at is None:
        process.definition_locked_at = now
    process.status = Process.Status.MEETING if round_.kind == Round.Kind.MEETING else Process.Status.RUNNING
    process.save(update_fields=["definition_locked_at", "status"])
    audit_record(action="consensus.round_open", obj=round_, actor=by, process=process, after={"number": round_.number})
    return round_


@transaction.atomic
def round_close(*, round: Round, by: AbstractBaseUser | None) -> Round:
    """Close an open round (waiting for submissions in flight), then tally it in a Celery task."""
    round_ = _lock_round(round, shared=False)
    if round_.status != Round.Status.OPEN:
        raise _refuse("status", f"Round {round_.number} is not open.")
    round_.status = Round.Status.CLOSED
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at"])
    task_enqueue(task_name="outcomes.tasks.round_tally", kwargs={"round_id": round_.pk})
    audit_record(action="consensus.round_close", obj=round_, actor=by, process=round_.process)
    return round_
