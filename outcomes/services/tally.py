"""Tally a round in SQL: one GROUP BY over its submitted ratings gives, per item and stakeholder group, the 9-bin score
distribution (and unable-to-score, option and meeting-vote counts). Medians, quartiles, percentages and the
classification are then derived in Python from those few counts, never from a loop over ratings.

The consensus rule (docs/consensus.md), with percentages over those who SCORED the item (at a meeting, over the votes
cast: include + exclude, abstentions beside):
- in:  n(7-9) >= in_high_min_pct % of n  AND  n(1-3) <  in_low_max_pct % of n
- out: n(1-3) >= out_low_min_pct % of n  AND  n(7-9) <  out_high_max_pct % of n
- otherwise none. Compared in integers (100 * count vs pct * n), so 70% exactly is "at least 70%" and 15%
  exactly is not "fewer than 15%".
With rule_scope "every_group" the overall row is "in" (or "out") only when every group that scored the item is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from outcomes.models import ConsensusProcess, Item, ItemResult, Outcome, Participation, Rating, Round, RoundItem
from outcomes.services.audit import audit_record
from outcomes.services.sql import db_datetime, db_json, rows_delete, rows_insert

Classification = ItemResult.Classification
SCORES = range(1, 10)
VOTES = ("include", "exclude", "abstain")


@dataclass
class Counts:
    """What one GROUP BY row (or a sum of them) says about one item in one group."""

    bins: list[int] = field(default_factory=lambda: [0] * 9)
    unable: int = 0
    votes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VOTES, 0))
    options: dict[str, int] = field(default_factory=dict)

    def add(self, other: Counts) -> None:
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]
        self.unable += other.unable
        for key, value in other.votes.items():
            self.votes[key] += value
        for key, value in other.options.items():
            self.options[key] = self.options.get(key, 0) + value

    @property
    def n(self) -> int:
        return sum(self.bins)

    @property
    def low(self) -> int:
        return sum(self.bins[0:3])

    @property
    def mid(self) -> int:
        return sum(self.bins[3:6])

    @property
    def high(self) -> int:
        return sum(self.bins[6:9])


def quantile_from_bins(bins: list[int], p: float) -> Decimal | None:
    """The p-quantile of scores given as counts per score 1..9 (linear interpolation between order statistics,
    the method of R's type 7 and numpy's default): position h = (n - 1) * p in the sorted scores."""
    n = sum(bins)
    if n == 0:
        return None
    h = (n - 1) * p
    lower = math.floor(h)

    def score_at(index: int) -> int:
        cumulative = 0
        for score, count in zip(SCORES, bins, strict=True):
            cumulative += count
            if index < cumulative:
                return score
        return 9

    low_value = score_at(lower)
    high_value = score_at(min(lower + 1, n - 1))
    value = Decimal(low_value) + (Decimal(high_value - low_value) * Decimal(str(h - lower)))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent(part: int, whole: int) -> Decimal:
    """100 x part / whole, two decimals rounded half up (0.00 when whole is 0): every percentage a result shows."""
    if whole == 0:
        return Decimal("0.00")
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def classify_scores(counts: Counts, process: ConsensusProcess) -> str:
    n = counts.n
    if n == 0:
        return Classification.NONE
    if 100 * counts.high >= process.in_high_min_pct * n and 100 * counts.low < process.in_low_max_pct * n:
        return Classification.IN
    if 100 * counts.low >= process.out_low_min_pct * n and 100 * counts.high < process.out_high_max_pct * n:
        return Classification.OUT
    return Classification.NONE


def classify_votes(counts: Counts, process: ConsensusProcess) -> str:
    """Meeting: in when at least meeting_include_min_pct % of the votes cast (abstentions aside) are include."""
    cast = counts.votes["include"] + counts.votes["exclude"]
    if cast == 0:
        return Classification.NONE
    if 100 * counts.votes["include"] >= process.meeting_include_min_pct * cast:
        return Classification.IN
    return Classification.OUT


def classify_options(counts: Counts, process: ConsensusProcess) -> tuple[str, int | None]:
    """Alternatives: in when one option is chosen by at least in_high_min_pct % of those who chose."""
    chosen = sum(counts.options.values())
    if chosen == 0:
        return Classification.NONE, None
    winner, votes = max(counts.options.items(), key=lambda kv: (kv[1], -int(kv[0])))
    if 100 * votes >= process.in_high_min_pct * chosen:
        return Classification.IN, int(winner)
    return Classification.NONE, None


def _result_values(counts: Counts, item_kind: str, round_kind: str, process: ConsensusProcess) -> dict:
    distribution: dict = {str(score): count for score, count in zip(SCORES, counts.bins, strict=True)}
    if round_kind == Round.Kind.MEETING:
        # Percentages over the votes cast (include + exclude); abstentions are reported beside, as classify_votes
        # decides.
        include, exclude, abstain = (counts.votes[vote] for vote in VOTES)
        cast = include + exclude
        values = {
            "n": cast,
            "n_unable": 0,
            "n_low": exclude,
            "n_mid": 0,
            "n_high": include,
            "pct_low": percent(exclude, cast),
            "pct_mid": percent(0, cast),
            "pct_high": percent(include, cast),
            "median": None,
            "q1": None,
            "q3": None,
            "n_include": include,
            "n_exclude": exclude,
            "n_abstain": abstain,
            "votes_cast": cast,
            "classification": classify_votes(counts, process),
        }
        return {**values, "distribution": dict(counts.votes)}
    classification = classify_scores(counts, process)
    if item_kind == Item.Kind.ALTERNATIVES:
        classification, winner = classify_options(counts, process)
        distribution = {"options": counts.options, "winner": winner}
    n = counts.n
    return {
        "n": n,
        "n_unable": counts.unable,
        "n_low": counts.low,
        "n_mid": counts.mid,
        "n_high": counts.high,
        "pct_low": percent(counts.low, n),
        "pct_mid": percent(counts.mid, n),
        "pct_high": percent(counts.high, n),
        "median": quantile_from_bins(counts.bins, 0.5),
        "q1": quantile_from_bins(counts.bins, 0.25),
        "q3": quantile_from_bins(counts.bins, 0.75),
        "distribution": distribution,
        "n_include": None,
        "n_exclude": None,
        "n_abstain": None,
        "votes_cast": None,
        "classification": classification,
    }


RESULT_FIELDS = [
    "n",
    "n_unable",
    "n_low",
    "n_mid",
    "n_high",
    "pct_low",
    "pct_mid",
    "pct_high",
    "median",
    "q1",
    "q3",
    "distribution",
    "n_include",
    "n_exclude",
    "n_abstain",
    "votes_cast",
    "classification",
    "computed_at",
]


def _count_ratings(round_: Round) -> dict[tuple[int, int | None], Counts]:
    """One GROUP BY (round item, panelist's group) with conditional counts; a second only for chosen options."""
    aggregates = {f"s{score}": Count("id", filter=Q(score=score)) for score in SCORES}
    aggregates["unable"] = Count("id", filter=Q(unable_to_score=True))
    for vote in VOTES:
        aggregates[vote] = Count("id", filter=Q(vote=vote))
    # Rating.objects.tallied()'s rule: submitted answers (never drafts) of the panelists who completed the round.
    # (IN lists rather than joins: the plan stays a cheap scan even when table statistics are stale.)
    completed = Participation.objects.filter(round=round_, completed_at__isnull=False).values("panelist_id")
    round_item_ids = list(round_.round_items.values_list("id", flat=True))
    submitted = Rating.objects.filter(round_item_id__in=round_item_ids, panelist_id__in=completed, is_draft=False)
    rows = submitted.values("round_item_id", "panelist__group_id").annotate(**aggregates).order_by()
    counts: dict[tuple[int, int | None], Counts] = {}
    for row in rows:
        counts[(row["round_item_id"], row["panelist__group_id"])] = Counts(
            bins=[row[f"s{score}"] for score in SCORES],
            unable=row["unable"],
            votes={vote: row[vote] for vote in VOTES},
        )
    if round_.round_items.filter(item__kind=Item.Kind.ALTERNATIVES).exists():
        option_rows = (
            submitted.filter(option__isnull=False)
            .values("round_item_id", "panelist__group_id", "option_id")
            .annotate(votes=Count("id"))
            .order_by()
        )
        for row in option_rows:
            key = (row["round_item_id"], row["panelist__group_id"])
            counts.setdefault(key, Counts()).options[str(row["option_id"])] = row["votes"]
    return counts


_VALUE_COLUMNS = [name for name in RESULT_FIELDS if name != "computed_at"]


def _results_write(results: list[tuple[int | None, int, int | None, dict]], now: dt.datetime) -> None:
    """Write a round's results: new ones inserted; existing ones deleted and inserted again with their ids (one
    DELETE and one INSERT, far faster than a row-by-row UPDATE), except those an Outcome cites as evidence, which
    are updated in place (Outcome.evidence is PROTECT, and the foreign key refuses the delete anyway)."""
    existing_ids = [pk for pk, *_ in results if pk is not None]
    cited = (
        set(Outcome.objects.filter(evidence_id__in=existing_ids).values_list("evidence_id", flat=True))
        if existing_ids
        else set()
    )
    stamp = db_datetime(now)

    def row(round_item_id: int, group_id: int | None, values: dict) -> tuple:
        data = [db_json(values[name]) if name == "distribution" else values[name] for name in _VALUE_COLUMNS]
        return (round_item_id, group_id, *data, stamp)

    columns = ["round_item_id", "group_id", *_VALUE_COLUMNS, "computed_at"]
    replaced = [(pk, *row(ri, g, v)) for pk, ri, g, v in results if pk is not None and pk not in cited]
    if replaced:
        rows_delete(ItemResult, [r[0] for r in replaced])
        rows_insert(ItemResult, ["id", *columns], replaced)
    rows_insert(ItemResult, columns, [row(ri, g, v) for pk, ri, g, v in results if pk is None])
    if cited:
        values_of = {pk: v for pk, _ri, _g, v in results if pk in cited}
        kept = list(ItemResult.objects.filter(pk__in=cited))
        for result in kept:
            for name, value in values_of[result.pk].items():
                setattr(result, name, value)
            result.computed_at = now
        ItemResult.objects.bulk_update(kept, RESULT_FIELDS)


@transaction.atomic
def round_tally(*, round: Round) -> int:
    """Compute (or recompute: idempotent) the results of a round: one overall row and one row per group per item.
    Returns the number of results written.

    1. Count ratings in SQL, grouped by round item and the panelist's stakeholder group.
    2. For meeting rounds add the facilitator's live counts to the overall row.
    3. Derive percentages, median, quartiles and the classification; with rule_scope "every_group" the overall
       classification must hold in every group that scored the item.
    4. Upsert: rewrite the rows that exist (same ids), create the rest.
    """
    round_ = Round.objects.select_for_update(of=("self",)).select_related("process").get(pk=round.pk)
    process = round_.process
    groups = list(process.groups.all())
    round_items = list(RoundItem.objects.filter(round=round_).select_related("item"))
    counts = _count_ratings(round_)
    existing = {
        (round_item_id, group_id): pk
        for pk, round_item_id, group_id in ItemResult.objects.filter(round_item__round=round_)
        .order_by()
        .values_list("pk", "round_item_id", "group_id")
    }
    now = timezone.now()
    # (id of the existing result or None, round item, group, values)
    results: list[tuple[int | None, int, int | None, dict]] = []

    def put(round_item_id: int, group_id: int | None, values: dict) -> None:
        results.append((existing.get((round_item_id, group_id)), round_item_id, group_id, values))

    every_group = process.rule_scope == ConsensusProcess.RuleScope.EVERY_GROUP
    by_item: dict[int, list[Counts]] = defaultdict(list)
    for (round_item_id, _group_id), value in counts.items():
        by_item[round_item_id].append(value)
    for round_item in round_items:
        overall = Counts()
        group_classes = []
        for value in by_item[round_item.pk]:
            overall.add(value)
        for group in groups:
            group_counts = counts.get((round_item.pk, group.pk), Counts())
            values = _result_values(group_counts, round_item.item.kind, round_.kind, process)
            put(round_item.pk, group.pk, values)
            answered = group_counts.n or sum(group_counts.options.values()) or sum(group_counts.votes.values())
            if answered:
                group_classes.append(values["classification"])
        if round_.kind == Round.Kind.MEETING:
            overall.votes["include"] += round_item.live_include or 0
            overall.votes["exclude"] += round_item.live_exclude or 0
            overall.votes["abstain"] += round_item.live_abstain or 0
        values = _result_values(overall, round_item.item.kind, round_.kind, process)
        # every_group: the rule must hold in each group that scored the item, as well as overall.
        decided = values["classification"] != Classification.NONE
        unanimous = bool(group_classes) and all(c == values["classification"] for c in group_classes)
        if every_group and round_.kind == Round.Kind.DELPHI and decided and not unanimous:
            values["classification"] = Classification.NONE
        put(round_item.pk, None, values)
    _results_write(results, now)
    first_tally = round_.tallied_at is None
    round_.tallied_at = now
    round_.save(update_fields=["tallied_at"])
    if first_tally:
        audit_record(
            action="consensus.round_tally",
            obj=round_,
            actor_label="system",
            process=process,
            after={"items": len(round_items)},
        )
    return len(results)
