"""Ratings: a panelist's submission or saved draft, and the meeting's live counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outcomes.models import (
    Item,
    ItemOption,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
)
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import NUL, _lock_round
from outcomes.services.consensus.panelists import panelist_check_active_or_refuse
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.sql import db_datetime, rows_insert


@dataclass
class RatingInput:
    item_id: int
    score: int | None = None
    unable_to_score: bool = False
    option_id: int | None = None
    vote: str = ""
    comment: str = ""
    proposed_wording: str = ""


def _rating_problems(entry: RatingInput, item_kind: str | None, options: dict[int, int], kind: str) -> dict:
    """What is wrong with one rating of an item of the round (item_kind None: not in the round, reported apart)."""
    if item_kind is None:
        return {}
    problems = {}
    if kind == Round.Kind.MEETING:
        if entry.vote and entry.vote not in Rating.Vote.values:
            problems["vote"] = "Vote include, exclude or abstain."
        if entry.score is not None or entry.unable_to_score:
            problems["score"] = "The consensus meeting takes votes, not scores."
        return problems
    if entry.vote:
        problems["vote"] = "Votes belong to the consensus meeting."
    if entry.score is not None and (isinstance(entry.score, bool) or not 1 <= entry.score <= 9):
        problems["score"] = "Score from 1 to 9, or choose 'unable to score'."
    if entry.score is not None and entry.unable_to_score:
        problems["unable_to_score"] = "Give a score or 'unable to score', not both."
    if entry.option_id is not None:
        if item_kind != Item.Kind.ALTERNATIVES:
            problems["option_id"] = "Only alternatives items take a chosen option."
        elif options.get(entry.option_id) != entry.item_id:
            problems["option_id"] = "Choose one of this item's options."
    if entry.proposed_wording and item_kind != Item.Kind.DEFINITION:
        problems["proposed_wording"] = "A rewording can be proposed only for a definition."
    if len(entry.comment) > 5000 or len(entry.proposed_wording) > 5000:
        problems["comment"] = "At most 5000 characters."
    for text_field in ("comment", "proposed_wording"):
        if NUL in getattr(entry, text_field):
            problems[text_field] = "Remove the NUL character (it cannot be stored)."
    return problems


class RatingsRefused(ValidationError):
    """Problems with some ratings of a submission, by position in the submission; nothing was stored."""

    def __init__(self, errors: dict[str, dict[str, str]], item_ids: Sequence[int]) -> None:
        self.errors = errors
        super().__init__(
            {
                "ratings": [
                    f"Rating {int(index) + 1} (item {item_ids[int(index)]}): {message}"
                    for index, problems in errors.items()
                    for message in problems.values()
                ]
            }
        )


def _is_answered(entry: RatingInput) -> bool:
    return entry.score is not None or entry.unable_to_score or bool(entry.vote) or entry.option_id is not None


_RATING_COLUMNS = (
    "round_item_id",
    "panelist_id",
    "is_draft",
    "score",
    "unable_to_score",
    "option_id",
    "vote",
    "comment",
    "proposed_wording",
    "submitted_at",
    "created_at",
    "updated_at",
)
# A second submission (or save) changes the stored row (and its updated_at), never its created_at.
_RATING_UPDATED = (*_RATING_COLUMNS[3:10], "updated_at")


def _ratings_upsert(
    *,
    panelist: Panelist,
    round_items: dict[int, tuple[int, str]],
    entries: Sequence[RatingInput],
    now: dt.datetime,
    draft: bool,
) -> None:
    """One multi-row INSERT ... ON CONFLICT DO UPDATE on the one-rating-per-panelist-item-round constraint (one
    submitted row and one draft per item), so a resubmission changes a rating and can never duplicate it."""
    stamp = db_datetime(now)
    submitted_at = None if draft else stamp
    rows = [
        (
            round_items[e.item_id][0],
            panelist.pk,
            draft,
            e.score,
            e.unable_to_score,
            e.option_id,
            e.vote,
            e.comment,
            e.proposed_wording,
            submitted_at,
            stamp,
            stamp,
        )
        for e in entries
    ]
    rows_insert(
        Rating, _RATING_COLUMNS, rows, conflict=("round_item_id", "panelist_id", "is_draft"), update=_RATING_UPDATED
    )


def _stored_answers(*, panelist: Panelist, round_: Round) -> dict[int, RatingInput]:
    """The panelist's current answers in a round, by item: the draft where there is one, else the submitted answer."""
    rows = (
        Rating.objects.filter(round_item__round=round_, panelist=panelist)
        .order_by("-is_draft")  # drafts first: the first row of an item is the one that counts here
        .values_list(
            "round_item__item_id",
            "score",
            "unable_to_score",
            "option_id",
            "vote",
            "comment",
            "proposed_wording",
        )
    )
    answers: dict[int, RatingInput] = {}
    for item_id, score, unable, option_id, vote, comment, wording in rows:
        answers.setdefault(item_id, RatingInput(item_id, score, unable, option_id, vote, comment, wording))
    return answers


@transaction.atomic
def rating_submit(
    *,
    panelist: Panelist,
    round: Round,
    ratings: Sequence[RatingInput],
    complete: bool = False,
) -> Participation:
    """Save a panelist's answers to a round as a draft, or submit them (complete=True).

    One rule for the web form and the API: only a submission changes what is tallied. Saving progress stores a
    draft, shown back to the panelist, and leaves any submitted answer as it was. A submission takes the
    panelist's current answers (draft, else submitted) with this request's on top; it is refused, storing
    nothing, unless every item of the round is then answered.

    1. Take a shared lock on the round: a close waits for us, and we refuse a round that closed first.
    2. Check the panelist (link active, consented, invited to this round) and every rating; collect all problems.
    3. Save progress: upsert the answers given as drafts (one draft per panelist, item and round).
    4. Submit: check every item is answered, upsert the answers as submitted (one per panelist, item and round:
       a second submission changes, never duplicates) and drop the drafts; mark the participation completed.
    Any refusal raises ValidationError and stores nothing.
    """
    panelist_check_active_or_refuse(panelist)
    round_ = _lock_round(round, shared=True)
    if round_.process_id != panelist.process_id:
        raise _refuse("round", "This round belongs to another study.")
    if round_.status != Round.Status.OPEN or (round_.closes_at is not None and round_.closes_at <= timezone.now()):
        raise _refuse("round", f"Round {round_.number} is closed; your answers were not saved.")
    if panelist.consented_at is None:
        raise _refuse("consent", "Please give your consent before rating.")
    participation = (
        Participation.objects.select_for_update(of=("self",)).filter(round=round_, panelist=panelist).order_by().first()
    )
    if participation is None:
        raise _refuse("round", f"You are not invited to round {round_.number}.")
    # Every item of the round as plain tuples: no model instances on the hot path (docs/performance.md).
    round_items = {
        item_id: (round_item_id, item_kind)
        for round_item_id, item_id, item_kind in RoundItem.objects.filter(round=round_)
        .order_by()
        .values_list("pk", "item_id", "item__kind")
    }
    item_ids = [entry.item_id for entry in ratings]
    missing_ids = set(item_ids) - set(round_items)
    elsewhere = dict(Item.objects.filter(pk__in=missing_ids).values_list("pk", "process_id")) if missing_ids else {}
    wanted_options = [entry.option_id for entry in ratings if entry.option_id is not None]
    options = (
        dict(ItemOption.objects.filter(pk__in=wanted_options).values_list("pk", "item_id")) if wanted_options else {}
    )
    errors: dict[str, dict] = {}
    seen: set[int] = set()
    for index, entry in enumerate(ratings):
        problems: dict[str, str] = {}
        if entry.item_id in seen:
            problems["item_id"] = "This item appears twice in the submission."
        seen.add(entry.item_id)
        known = round_items.get(entry.item_id)
        if known is None:
            if elsewhere.get(entry.item_id) == round_.process_id:
                problems["item_id"] = f"This item is not part of round {round_.number}."
            else:
                problems["item_id"] = "This item is not part of this study."
        problems.update(_rating_problems(entry, known[1] if known else None, options, round_.kind))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise RatingsRefused(errors, item_ids)
    now = timezone.now()
    given = [entry for entry in ratings if _is_answered(entry) or entry.comment or entry.proposed_wording]
    update_fields = []
    if participation.started_at is None:
        participation.started_at = now
        update_fields.append("started_at")
    if not complete:
        _ratings_upsert(panelist=panelist, round_items=round_items, entries=given, now=now, draft=True)
    else:
        # Every item answered in this very submission needs no query; otherwise the stored answers complete it.
        if {entry.item_id for entry in given if _is_answered(entry)} >= set(round_items):
            answers = {entry.item_id: entry for entry in given}
        else:
            answers = _stored_answers(panelist=panelist, round_=round_)
            answers.update({entry.item_id: entry for entry in given})
        done = sum(1 for item_id in round_items if item_id in answers and _is_answered(answers[item_id]))
        if done < len(round_items):
            raise _refuse(
                "complete",
                f"Answer every item before submitting ({done} of {len(round_items)} answered); nothing was saved.",
            )
        _ratings_upsert(
            panelist=panelist, round_items=round_items, entries=list(answers.values()), now=now, draft=False
        )
        Rating.objects.filter(round_item__round=round_, panelist=panelist, is_draft=True).delete()
        if participation.completed_at is None:
            participation.completed_at = now
            update_fields.append("completed_at")
    if update_fields:
        participation.save(update_fields=update_fields)
    audit_record(
        action="consensus.rating_submit",
        obj=participation,
        actor_label=panelist.code,
        process=panelist.process,
        after={"round": round_.number, "ratings": len(given), "complete": complete},
    )
    return participation


@transaction.atomic
def meeting_live_counts_set(
    *, round_item: RoundItem, include: int, exclude: int, abstain: int, by: AbstractBaseUser | None
) -> RoundItem:
    """Record the show of hands at the consensus meeting for one item (added to any online votes)."""
    round_ = _lock_round(round_item.round, shared=False)
    if round_.kind != Round.Kind.MEETING:
        raise _refuse("round", "Live counts belong to the consensus meeting.")
    if round_.status != Round.Status.OPEN:
        raise _refuse("round", "The meeting is not open.")
    errors = {
        name: "A count of people, 0 or more."
        for name, value in (("include", include), ("exclude", exclude), ("abstain", abstain))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0
    }
    if errors:
        raise ValidationError(errors)
    before = {
        "include": round_item.live_include,
        "exclude": round_item.live_exclude,
        "abstain": round_item.live_abstain,
    }
    round_item.live_include, round_item.live_exclude, round_item.live_abstain = include, exclude, abstain
    round_item.save(update_fields=["live_include", "live_exclude", "live_abstain"])
    audit_record(
        action="consensus.meeting_live_counts",
        obj=round_item,
        actor=by,
        process=round_.process,
        before=before,
        after={"include": include, "exclude": exclude, "abstain": abstain},
    )
    return round_item
