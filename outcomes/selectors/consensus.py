"""Reads of the consensus workflow shared by the panel pages, the facilitator pages, the API and the CSV exports.

What a panelist may read is built here and nowhere else: their own ratings and the aggregated feedback only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.utils.translation import get_language, gettext

from outcomes.cos_stad import Standard, process_cos_stad
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
from outcomes.selectors.translations import Localized, language_name, localized
from outcomes.services.tally import percent


def item_latest_results(process: ConsensusProcess) -> dict[int, ItemResult]:
    """Each item's overall result from the latest closed round it was in."""
    results = (
        ItemResult.objects.filter(
            round_item__round__process=process, round_item__round__status=Round.Status.CLOSED, group__isnull=True
        )
        .select_related("round_item__round", "round_item__item")
        .order_by("round_item__round__number")
    )
    return {r.round_item.item_id: r for r in results}


def process_queryset() -> QuerySet[ConsensusProcess]:
    """Processes with the set and the draft version that every page and download of a process names."""
    return ConsensusProcess.objects.select_related("core_outcome_set", "draft_version")


def processes_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[ConsensusProcess]:
    qs = process_queryset().annotate(
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
    group: str  # in the panelist's language (the "All panelists" row: is_overall)
    n: int
    bins: list[int]
    pct_low: object
    pct_mid: object
    pct_high: object
    median: object
    is_overall: bool = False
    group_language: str = "en"

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

    @property
    def has_unsubmitted_changes(self) -> bool:
        """Submitted, then saved progress: the draft is not counted until they submit again."""
        submitted = self.participation is not None and self.participation.completed_at is not None
        return submitted and any(i.rating is not None and i.rating.is_draft for i in self.items)


def panel_round(panelist: Panelist, round_: Round) -> PanelRound:
    """One round as a panelist sees it: the items, their own ratings and, from round 2, the previous round's
    distribution per stakeholder group and their own previous answer. A constant number of queries."""
    round_items = list(
        RoundItem.objects.filter(round=round_)
        .select_related("item__instrument", "item__outcome_item")
        .prefetch_related(
            "item__options__translations",
            "item__domains",
            "item__translations",
            "item__outcome_item__translations",
        )
        .order_by("order", "id")
    )
    # Their draft where they saved one since submitting, else their submitted answer.
    own: dict[int, Rating] = {}
    for rating in Rating.objects.filter(panelist=panelist, round_item__round=round_).order_by("-is_draft"):
        own.setdefault(rating.round_item_id, rating)
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
        for rating in (
            Rating.objects.filter(
                panelist=panelist, round_item__round=previous, round_item__item_id__in=item_ids, is_draft=False
            )
            .select_related("round_item", "option")
            .prefetch_related("option__translations")
        ):
            previous_own[rating.round_item.item_id] = rating
        results = (
            ItemResult.objects.filter(round_item__round=previous, round_item__item_id__in=item_ids)
            .select_related("group", "round_item")
            .prefetch_related("group__translations")
            .order_by("round_item_id", "group__order", "group_id")
        )
        # The feedback labels in the panelist's language (the page's): the groups' reviewed translations.
        overall = gettext("All panelists")
        for result in results:
            bins = [int(result.distribution.get(str(s), 0)) for s in range(1, 10)]
            label = localized(result.group, "name") if result.group_id else Localized(overall, get_language() or "en")
            feedback.setdefault(result.round_item.item_id, []).append(
                GroupFeedback(
                    group=label.text,
                    group_language=label.language,
                    is_overall=result.group_id is None,
                    n=result.n,
                    bins=bins,
                    pct_low=result.pct_low,
                    pct_mid=result.pct_mid,
                    pct_high=result.pct_high,
                    median=result.median,
                )
            )
        for rows in feedback.values():
            rows.sort(key=lambda f: f.is_overall)
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
    return (
        panelist.suggestions.select_related("round", "resulting_item", "merged_into")
        .prefetch_related("merged_into__translations")
        .order_by("created_at")
    )


def pseudonymised_ratings(process: ConsensusProcess) -> QuerySet:
    """Exactly the answers the tally counted (Rating.objects.tallied(): submitted, never drafts), keyed by panelist
    CODE (never email), as dicts for outcomes.exports.consensus."""
    return (
        Rating.objects.tallied()
        .filter(round_item__round__process=process)
        .order_by("round_item__round__number", "round_item__order", "round_item_id", "panelist__code")
        .values(
            "round_item_id",
            "score",
            "unable_to_score",
            "option_id",
            "vote",
            "comment",
            "proposed_wording",
            "submitted_at",
            round=F("round_item__round__number"),
            round_kind=F("round_item__round__kind"),
            item_id=F("round_item__item_id"),
            item=F("round_item__item__name"),
            item_kind=F("round_item__item__kind"),
            panelist_code=F("panelist__code"),
            stakeholder_group=F("panelist__group__name"),
            option_label=F("option__label"),
        )
    )


def meeting_live_counts(process: ConsensusProcess) -> QuerySet[RoundItem]:
    """The round items of the consensus meeting on which the facilitator recorded a show of hands."""
    return (
        RoundItem.objects.filter(round__process=process, round__kind=Round.Kind.MEETING)
        .filter(Q(live_include__isnull=False) | Q(live_exclude__isnull=False) | Q(live_abstain__isnull=False))
        .select_related("round", "item")
        .order_by("round__number", "order", "id")
    )


def process_results(process: ConsensusProcess) -> QuerySet[ItemResult]:
    return (
        ItemResult.objects.filter(round_item__round__process=process)
        .select_related("round_item__round", "round_item__item", "group")
        # Each item's group rows, then its overall row, on every database (NULLs sort first or last by vendor).
        .order_by(
            "round_item__round__number",
            "round_item__order",
            "round_item_id",
            F("group__order").asc(nulls_last=True),
            "group_id",
        )
    )


@dataclass
class ReportData:
    """What the COS-STAR report states, read once for the page, its CSV and JSON downloads and the API."""

    process: ConsensusProcess
    rounds: list[Round]
    participation: list[tuple[Round, list]]
    suggestions: list[Suggestion]
    final_outcomes: list
    dropped: list[tuple[Item, ItemResult]]
    cos_stad: list[Standard]  # the COS-STAD minimum standards and how this process met each
    languages: list = field(default_factory=list)  # RoundLanguages per round that ran, for a multilingual process


def report_data(process: ConsensusProcess) -> ReportData:
    rounds = list(process_rounds(process))
    latest = item_latest_results(process)
    return ReportData(
        process=process,
        rounds=rounds,
        participation=[(r, round_participation(r)) for r in rounds if r.status != Round.Status.DRAFT],
        suggestions=list(
            Suggestion.objects.filter(round__process=process).select_related("merged_into", "round").order_by("pk")
        ),
        final_outcomes=list(process.draft_version.outcomes.select_related("evidence__round_item__round")),
        dropped=[
            (result.round_item.item, result)
            for result in latest.values()
            if result.classification != "in" and result.round_item.item.kind == Item.Kind.OUTCOME
        ],
        cos_stad=process_cos_stad(process),
        languages=[round_languages(r, process.languages) for r in rounds if r.status != Round.Status.DRAFT]
        if len(process.languages) > 1
        else [],
    )


_NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _numbers(numbers: list[int]) -> str:
    return str(numbers[0]) if len(numbers) == 1 else ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


@dataclass
class RoundsHeld:
    """The rounds of a process that took place (closed), for the version page's provenance sentence."""

    delphi: list[int]
    meetings: list[int]

    def __str__(self) -> str:
        count = len(self.delphi)
        word = _NUMBER_WORDS[count] if count < len(_NUMBER_WORDS) else str(count)
        plural = "s" if count != 1 else ""
        text = f"{word} Delphi round{plural}"
        if self.delphi:
            text += f" (round{plural} {_numbers(self.delphi)}) rated by a panel of stakeholder groups"
        if self.meetings:
            text += f", then a consensus meeting (round {_numbers(self.meetings)})"
        return text


def rounds_held(process: ConsensusProcess) -> RoundsHeld:
    closed = process.rounds.filter(status=Round.Status.CLOSED).order_by("number").values_list("number", "kind")
    return RoundsHeld(
        delphi=[number for number, kind in closed if kind == Round.Kind.DELPHI],
        meetings=[number for number, kind in closed if kind == Round.Kind.MEETING],
    )


@dataclass
class GroupParticipation:
    group: str
    invited: int
    started: int
    completed: int
    previous_completed: int | None
    retained: int | None

    @property
    def response_rate(self) -> Decimal:
        return percent(self.completed, self.invited)

    @property
    def attrition(self) -> Decimal | None:
        """Of those who completed the previous round, the share who did not complete this one."""
        if not self.previous_completed:
            return None
        return percent(self.previous_completed - (self.retained or 0), self.previous_completed)


def round_participation(round_: Round) -> list[GroupParticipation]:
    """Response rate and attrition per stakeholder group (and overall, last), in two GROUP BY queries."""
    previous = Round.objects.filter(process_id=round_.process_id, number=round_.number - 1).first()
    aggregates = {
        "invited": Count("id", distinct=True),
        "started": Count("id", filter=Q(started_at__isnull=False), distinct=True),
        "completed": Count("id", filter=Q(completed_at__isnull=False), distinct=True),
    }
    if previous is not None:
        aggregates["retained"] = Count(
            "id",
            filter=Q(completed_at__isnull=False)
            & Q(panelist__participations__round=previous, panelist__participations__completed_at__isnull=False),
            distinct=True,  # the join to the panelist's other participations multiplies rows
        )
    rows = {
        row["panelist__group_id"]: row
        for row in Participation.objects.filter(round=round_)
        .values("panelist__group_id")
        .annotate(**aggregates)
        .order_by()
    }
    previous_rows = {}
    if previous is not None:
        previous_rows = {
            row["panelist__group_id"]: row["n"]
            for row in Participation.objects.filter(round=previous, completed_at__isnull=False)
            .values("panelist__group_id")
            .annotate(n=Count("id"))
            .order_by()
        }
    result = []
    totals = defaultdict(int)
    names = {g.pk: g.name for g in round_.process.groups.all()}
    for group_id, name in [*names.items(), (None, "No group chosen yet")]:
        row = rows.get(group_id, {})
        if group_id is None and not row:
            continue
        entry = GroupParticipation(
            group=name,
            invited=row.get("invited", 0),
            started=row.get("started", 0),
            completed=row.get("completed", 0),
            previous_completed=previous_rows.get(group_id, 0) if previous is not None else None,
            retained=row.get("retained", 0) if previous is not None else None,
        )
        for attr in ("invited", "started", "completed"):
            totals[attr] += getattr(entry, attr)
        if previous is not None:
            totals["previous_completed"] += entry.previous_completed or 0
            totals["retained"] += entry.retained or 0
        result.append(entry)
    result.append(
        GroupParticipation(
            group="All panelists",
            invited=totals["invited"],
            started=totals["started"],
            completed=totals["completed"],
            previous_completed=totals["previous_completed"] if previous is not None else None,
            retained=totals["retained"] if previous is not None else None,
        )
    )
    return result


# Results per language are shown only for languages with at least this many panelists who scored the item: a
# smaller group's percentage would come close to showing how one person rated (our rule, as for any subgroup).
LANGUAGE_RESULTS_MIN_N = 5


@dataclass
class LanguageParticipation:
    language: str
    name: str
    invited: int
    completed: int

    @property
    def response_rate(self) -> Decimal:
        return percent(self.completed, self.invited)


@dataclass
class LanguageResult:
    language: str
    n: int
    pct_high: Decimal | None  # None: suppressed, fewer than LANGUAGE_RESULTS_MIN_N panelists scored it

    @property
    def suppressed(self) -> bool:
        return self.pct_high is None


@dataclass
class ItemLanguageResults:
    item: Item
    results: list[LanguageResult]


@dataclass
class RoundLanguages:
    round: Round
    participation: list[LanguageParticipation]
    results: list[ItemLanguageResults]


def round_languages(round_: Round, languages: list[str]) -> RoundLanguages:
    """Participation per language (the language each panelist reads the panel in) and, for a Delphi round, the
    share scoring 7-9 per item and language, so a facilitator can see whether a translation shifted the answers.
    The tally itself is over all languages: one item, whatever the language. Two GROUP BY queries."""
    counts = {
        row["panelist__language"]: row
        for row in Participation.objects.filter(round=round_)
        .values("panelist__language")
        .annotate(invited=Count("id"), completed=Count("id", filter=Q(completed_at__isnull=False)))
        .order_by()
    }
    participation = [
        LanguageParticipation(
            language=code,
            name=language_name(code),
            invited=counts.get(code, {}).get("invited", 0),
            completed=counts.get(code, {}).get("completed", 0),
        )
        for code in [*languages, *sorted(set(counts) - set(languages))]
    ]
    results: list[ItemLanguageResults] = []
    if round_.kind == Round.Kind.DELPHI and round_.status == Round.Status.CLOSED:
        scored: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
        for row in (
            Rating.objects.tallied()
            .filter(round_item__round=round_, score__isnull=False)
            .values("round_item_id", "panelist__language")
            .annotate(n=Count("id", distinct=True), high=Count("id", filter=Q(score__gte=7), distinct=True))
            .order_by()
        ):
            scored[row["round_item_id"]][row["panelist__language"]] = (row["n"], row["high"])
        for round_item in RoundItem.objects.filter(round=round_).select_related("item").order_by("order", "id"):
            by_language = scored.get(round_item.pk, {})
            results.append(
                ItemLanguageResults(
                    item=round_item.item,
                    results=[
                        LanguageResult(
                            language=code,
                            n=by_language.get(code, (0, 0))[0],
                            pct_high=percent(by_language[code][1], by_language[code][0])
                            if by_language.get(code, (0, 0))[0] >= LANGUAGE_RESULTS_MIN_N
                            else None,
                        )
                        for code in languages
                    ],
                )
            )
    return RoundLanguages(round=round_, participation=participation, results=results)
