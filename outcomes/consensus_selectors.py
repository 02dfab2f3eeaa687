"""Reads of the consensus workflow shared by the panel pages, the facilitator pages, the API and the CSV exports.

What a panelist may read is built here and nowhere else: their own ratings and the aggregated feedback only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from outcomes.models import (
    ConsensusProcess,
    Item,
    ItemResult,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    StakeholderGroup,
    Suggestion,
)
from outcomes.permissions import is_admin


def processes_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ConsensusProcess]:
    qs = ConsensusProcess.objects.select_related("core_outcome_set", "draft_version").annotate(
        panelist_count=Count("panelists", distinct=True), round_count=Count("rounds", distinct=True)
    )
    if is_admin(user):
        return qs
    return qs.filter(facilitators=user)


def process_rounds(process: ConsensusProcess) -> QuerySet[Round]:
    return process.rounds.annotate(
        item_count=Count("round_items", distinct=True),
        invited=Count("participations", distinct=True),
        completed=Count("participations", filter=Q(participations__completed_at__isnull=False), distinct=True),
    ).order_by("number")


def process_groups(process: ConsensusProcess) -> QuerySet[StakeholderGroup]:
    return process.groups.annotate(panelist_count=Count("panelists")).order_by("order", "id")


def process_items(process: ConsensusProcess) -> QuerySet[Item]:
    """The candidates; `was_rated` (as services.item_was_rated) tells which can no longer be edited."""
    rated = RoundItem.objects.filter(item=OuterRef("pk")).exclude(round__status=Round.Status.DRAFT)
    return (
        process.items.select_related("instrument", "outcome_item")
        .prefetch_related("domains", "options__instrument")
        .annotate(was_rated=Exists(rated))
    )


def round_detail(round_: Round) -> Round:
    """A round with its counts (as process_rounds) and its round items, each with its item and options."""
    return (
        process_rounds(round_.process)
        .prefetch_related(
            Prefetch(
                "round_items",
                queryset=RoundItem.objects.select_related("item__instrument")
                .prefetch_related("item__options__instrument")
                .order_by("order", "id"),
            )
        )
        .get(pk=round_.pk)
    )


def round_results(round_: Round) -> QuerySet[RoundItem]:
    """A round's items with their overall and per-group results (two extra queries in all)."""
    return (
        RoundItem.objects.filter(round=round_)
        .select_related("item")
        .prefetch_related(Prefetch("results", queryset=ItemResult.objects.select_related("group")))
        .order_by("order", "id")
    )


@dataclass
class GroupFeedback:
    group: str
    n: int
    bins: list[int]
    pct_low: object
    pct_mid: object
    pct_high: object
    median: object

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(score, count, width 0-100 relative to the largest bin) for the feedback chart."""
        top = max(self.bins) or 1
        return [(score, count, round(100 * count / top)) for score, count in enumerate(self.bins, start=1)]


@dataclass
class PanelItem:
    round_item: RoundItem
    item: Item
    rating: Rating | None
    previous_rating: Rating | None = None
    feedback: list[GroupFeedback] = field(default_factory=list)


@dataclass
class PanelRound:
    round: Round
    participation: Participation | None
    items: list[PanelItem]
    previous: Round | None


def panel_round(panelist: Panelist, round_: Round) -> PanelRound:
    """One round as a panelist sees it: the items, their own ratings and, from round 2, the previous round's
    distribution per stakeholder group and their own previous answer. A constant number of queries."""
    round_items = list(
        RoundItem.objects.filter(round=round_)
        .select_related("item__instrument")
        .prefetch_related("item__options", "item__domains")
        .order_by("order", "id")
    )
    own = {r.round_item_id: r for r in Rating.objects.filter(panelist=panelist, round_item__round=round_)}
    participation = Participation.objects.filter(round=round_, panelist=panelist).first()
    previous = (
        Round.objects.filter(process_id=round_.process_id, number__lt=round_.number, status=Round.Status.CLOSED)
        .order_by("-number")
        .first()
    )
    previous_own: dict[int, Rating] = {}
    feedback: dict[int, list[GroupFeedback]] = {}
    if previous is not None:
        item_ids = [ri.item_id for ri in round_items]
        for rating in Rating.objects.filter(
            panelist=panelist, round_item__round=previous, round_item__item_id__in=item_ids
        ).select_related("round_item"):
            previous_own[rating.round_item.item_id] = rating
        results = (
            ItemResult.objects.filter(round_item__round=previous, round_item__item_id__in=item_ids)
            .select_related("group", "round_item")
            .order_by("round_item_id", "group__order", "group_id")
        )
        for result in results:
            bins = [int(result.distribution.get(str(s), 0)) for s in range(1, 10)]
            feedback.setdefault(result.round_item.item_id, []).append(
                GroupFeedback(
                    group=result.group.name if result.group_id else "All panelists",
                    n=result.n,
                    bins=bins,
                    pct_low=result.pct_low,
                    pct_mid=result.pct_mid,
                    pct_high=result.pct_high,
                    median=result.median,
                )
            )
        for rows in feedback.values():
            rows.sort(key=lambda f: f.group == "All panelists")
    items = [
        PanelItem(
            round_item=ri,
            item=ri.item,
            rating=own.get(ri.pk),
            previous_rating=previous_own.get(ri.item_id),
            feedback=feedback.get(ri.item_id, []),
        )
        for ri in round_items
    ]
    return PanelRound(round=round_, participation=participation, items=items, previous=previous)


def panelist_rounds(panelist: Panelist) -> list[tuple[Round, Participation]]:
    participations = Participation.objects.filter(panelist=panelist).select_related("round").order_by("round__number")
    return [(p.round, p) for p in participations]


def panelist_suggestions(panelist: Panelist) -> QuerySet[Suggestion]:
    return panelist.suggestions.select_related("round", "resulting_item", "merged_into").order_by("created_at")


def pseudonymised_ratings(process: ConsensusProcess) -> QuerySet:
    """Every rating of a process keyed by panelist CODE (never email), for the CSV export."""
    return (
        Rating.objects.filter(round_item__round__process=process)
        .order_by("round_item__round__number", "round_item__order", "panelist__code")
        .values_list(
            "round_item__round__number",
            "panelist__code",
            "panelist__group__name",
            "round_item__item_id",
            "round_item__item__name",
            "score",
            "unable_to_score",
            "option__label",
            "vote",
            "comment",
            "proposed_wording",
        )
    )


def process_results(process: ConsensusProcess) -> QuerySet[ItemResult]:
    return (
        ItemResult.objects.filter(round_item__round__process=process)
        .select_related("round_item__round", "round_item__item", "group")
        .order_by("round_item__round__number", "round_item__order", "group__order", "group_id")
    )
