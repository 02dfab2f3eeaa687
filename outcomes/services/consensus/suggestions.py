"""Panelists' suggestions of new candidate items, and the facilitator's decision on them."""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from outcomes.models import (
    Item,
    Panelist,
    Participation,
    Round,
    Suggestion,
)
from outcomes.services.audit import audit_record
from outcomes.services.consensus.candidates import item_create
from outcomes.services.consensus.common import _lock_round
from outcomes.services.consensus.panelists import panelist_check_active_or_refuse
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses


@transaction.atomic
def suggestion_submit(
    *,
    panelist: Panelist,
    round: Round,
    name: str,
    definition: str = "",
    rationale: str = "",
) -> Suggestion:
    panelist_check_active_or_refuse(panelist)
    round_ = _lock_round(round, shared=True)
    if round_.process_id != panelist.process_id:
        raise _refuse("round", "This round belongs to another study.")
    if round_.status != Round.Status.OPEN or not round_.allow_suggestions:
        raise _refuse("round", "This round does not take suggestions.")
    if not Participation.objects.filter(round=round_, panelist=panelist).exists() or panelist.consented_at is None:
        raise _refuse("round", "You are not taking part in this round.")
    name = name.strip()
    if not name:
        raise _refuse("name", "Name the outcome you suggest.")
    if len(name) > 300:
        raise _refuse("name", "At most 300 characters.")
    if panelist.suggestions.count() >= 20:
        raise _refuse("name", "You have made 20 suggestions, the most one panelist can make.")
    suggestion = Suggestion.objects.create(
        round=round_, panelist=panelist, name=name, definition=definition.strip(), rationale=rationale.strip()
    )
    audit_record(
        action="consensus.suggestion_submit",
        obj=suggestion,
        actor_label=panelist.code,
        process=panelist.process,
        after={"name": name},
    )
    return suggestion


@transaction.atomic
def suggestion_decide(
    *,
    suggestion: Suggestion,
    decision: str,
    by: AbstractBaseUser | None,
    reason: str = "",
    merge_into: Item | None = None,
    domain_numbers: Sequence[int] = (),
) -> Suggestion:
    """Accept a suggestion (a new item, rated from the next round on), merge it into an item, or reject it."""
    suggestion = (
        Suggestion.objects.select_for_update(of=("self",)).select_related("round__process").get(pk=suggestion.pk)
    )
    process = suggestion.round.process
    if suggestion.status != Suggestion.Status.PENDING:
        raise _refuse("decision", "This suggestion has already been decided.")
    reason = reason.strip()
    if decision == Suggestion.Status.ACCEPTED:
        suggestion.resulting_item = item_create(
            process=process,
            name=suggestion.name,
            definition=suggestion.definition,
            domain_numbers=domain_numbers,
            by=by,
            source=Item.Source.SUGGESTION,
        )
    elif decision == Suggestion.Status.MERGED:
        if merge_into is None or merge_into.process_id != process.pk:
            raise _refuse("merge_into", "Choose an item of this process to merge the suggestion into.")
        suggestion.merged_into = merge_into
    elif decision == Suggestion.Status.REJECTED:
        if not reason:
            raise _refuse("reason", "Give the reason for rejecting the suggestion; the panelist will see it.")
    else:
        raise _refuse("decision", "Accept, merge or reject.")
    suggestion.status = decision
    suggestion.reason = reason
    suggestion.decided_by = by if by is not None and by.is_authenticated else None
    suggestion.decided_at = timezone.now()
    suggestion.save()
    audit_record(
        action="consensus.suggestion_decide",
        obj=suggestion,
        actor=by,
        process=process,
        after={"decision": decision, "reason": reason},
    )
    return suggestion
