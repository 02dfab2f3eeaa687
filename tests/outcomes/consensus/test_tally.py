"""The tally against hand-computed distributions, including the boundaries of the consensus rule."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django.utils import timezone

from outcomes.models import ConsensusProcess, ItemResult, Panelist, Participation, Rating, Round
from outcomes.selectors.consensus import round_participation
from outcomes.services import consensus as svc
from outcomes.services.tally import quantile_from_bins, round_tally
from tests.factories import OutcomeFactory, VersionFactory

from .conftest import add_member, open_first_round, rate_all

pytestmark = pytest.mark.django_db
IN, OUT, NONE = ItemResult.Classification.IN, ItemResult.Classification.OUT, ItemResult.Classification.NONE


def _rate(process: ConsensusProcess, round_: Round, scores: list, *, group_index: int = 0, item_index: int = 0):
    """Give one item the listed answers (an int score, or None for 'unable to score'), one new panelist each."""
    group = list(process.groups.all())[group_index]
    round_item = list(round_.round_items.order_by("order"))[item_index]
    start = Panelist.objects.filter(process=process).count()
    panelists = Panelist.objects.bulk_create(
        Panelist(
            process=process,
            group=group,
            email=f"t{start + i}@example.org",
            code=f"T{start + i:05d}",
            token_hash=svc.token_hash(secrets.token_hex(8)),
            token_expires_at=timezone.now(),
        )
        for i in range(len(scores))
    )
    Participation.objects.bulk_create(
        Participation(round=round_, panelist=p, completed_at=timezone.now()) for p in panelists
    )
    Rating.objects.bulk_create(
        Rating(round_item=round_item, panelist=p, score=s, unable_to_score=s is None)
        for p, s in zip(panelists, scores, strict=True)
    )
    return round_item


def _overall(round_item) -> ItemResult:
    return ItemResult.objects.get(round_item=round_item, group__isnull=True)


@pytest.fixture
def round1(process, facilitator) -> Round:
    return open_first_round(process, facilitator)


def test_exactly_70_percent_scoring_7_to_9_with_fewer_than_15_percent_low_is_consensus_in(process, round1):
    ri = _rate(process, round1, [9, 8, 7, 7, 7, 9, 8, 5, 5, 2])  # 7/10 high, 1/10 low
    round_tally(round=round1)
    result = _overall(ri)
    assert (result.n, result.n_high, result.n_low, result.pct_high, result.pct_low) == (10, 7, 1, 70, 10)
    assert result.classification == IN


def test_just_under_70_percent_high_is_no_consensus(process, round1):
    ri = _rate(process, round1, [9] * 9 + [5] * 4)  # 9/13 = 69.23%
    round_tally(round=round1)
    assert _overall(ri).pct_high == Decimal("69.23")
    assert _overall(ri).classification == NONE


def test_exactly_15_percent_scoring_1_to_3_is_not_fewer_than_15_percent(process, round1):
    ri = _rate(process, round1, [8] * 14 + [1] * 3 + [5] * 3)  # 70% high but 15% low exactly
    round_tally(round=round1)
    result = _overall(ri)
    assert (result.pct_high, result.pct_low) == (Decimal("70.00"), Decimal("15.00"))
    assert result.classification == NONE


def test_unable_to_score_is_reported_but_not_in_the_denominator(process, round1):
    ri = _rate(process, round1, [9] * 7 + [5] * 3 + [None] * 4)  # 7/10 scored high; 7/14 would be 50%
    round_tally(round=round1)
    result = _overall(ri)
    assert (result.n, result.n_unable, result.pct_high) == (10, 4, Decimal("70.00"))
    assert result.classification == IN


def test_consensus_out_needs_70_percent_low_and_fewer_than_15_percent_high(process, round1):
    out_item = _rate(process, round1, [1] * 7 + [5] * 2 + [9], item_index=0)  # 70% low, 10% high
    not_out = _rate(process, round1, [2] * 14 + [8] * 3 + [5] * 3, item_index=1)  # 70% low, 15% high exactly
    round_tally(round=round1)
    assert _overall(out_item).classification == OUT
    assert _overall(not_out).classification == NONE


def test_median_and_interquartile_range_come_from_the_nine_bin_distribution(process, round1):
    ri = _rate(process, round1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 9])
    round_tally(round=round1)
    result = _overall(ri)
    assert (result.median, result.q1, result.q3) == (Decimal("5.50"), Decimal("3.25"), Decimal("7.75"))
    assert (result.pct_low, result.pct_mid, result.pct_high) == (Decimal("30.00"), Decimal("30.00"), Decimal("40.00"))
    assert result.distribution == {"1": 1, "2": 1, "3": 1, "4": 1, "5": 1, "6": 1, "7": 1, "8": 1, "9": 2}


def test_quantiles_of_a_single_score_and_of_no_scores():
    assert quantile_from_bins([0, 0, 0, 0, 0, 0, 1, 0, 0], 0.5) == Decimal("7.00")
    assert quantile_from_bins([0] * 9, 0.5) is None


def test_per_group_rows_are_computed_and_every_group_scope_requires_the_rule_in_each_group(process, round1):
    ri = _rate(process, round1, [9] * 10, group_index=0)
    _rate(process, round1, [8] * 4 + [5] * 6, group_index=1)  # overall 14/20 = 70% high: in over all panelists
    round_tally(round=round1)
    group_a, group_b = list(process.groups.all())[:2]
    assert _overall(ri).classification == IN
    assert ItemResult.objects.get(round_item=ri, group=group_a).classification == IN
    assert ItemResult.objects.get(round_item=ri, group=group_b).pct_high == Decimal("40.00")

    ConsensusProcess.objects.filter(pk=process.pk).update(rule_scope=ConsensusProcess.RuleScope.EVERY_GROUP)
    round_tally(round=round1)
    assert _overall(ri).classification == NONE


def test_changed_thresholds_are_applied(process, round1):
    ri = _rate(process, round1, [9] * 6 + [5] * 4)  # 60% high
    ConsensusProcess.objects.filter(pk=process.pk).update(in_high_min_pct=60)
    round_tally(round=round1)
    assert _overall(ri).classification == IN


def test_answers_saved_as_progress_but_not_submitted_are_not_counted(process, round1):
    ri = _rate(process, round1, [9, 9])
    Participation.objects.filter(panelist__code="T00000").update(completed_at=None)
    round_tally(round=round1)
    assert _overall(ri).n == 1


def test_tally_is_idempotent_and_a_rerun_reflects_changed_ratings(process, round1):
    ri = _rate(process, round1, [9] * 7 + [2] * 3)
    round_tally(round=round1)
    count = ItemResult.objects.count()
    first = _overall(ri)
    round_tally(round=round1)
    assert ItemResult.objects.count() == count
    assert _overall(ri).pk == first.pk
    assert _overall(ri).classification == NONE  # 30% low
    Rating.objects.filter(round_item=ri, score=2).update(score=5)
    round_tally(round=round1)
    assert ItemResult.objects.count() == count
    assert _overall(ri).classification == IN
    # one overall row plus one per group for every item of the round
    assert count == round1.round_items.count() * (1 + process.groups.count())


def test_tally_query_count_does_not_grow_with_ratings(process, round1, django_assert_max_num_queries):
    _rate(process, round1, [5] * 3)
    with django_assert_max_num_queries(16):
        round_tally(round=round1)
    _rate(process, round1, list(range(1, 10)) * 20, item_index=1)
    _rate(process, round1, list(range(1, 10)) * 20, item_index=2, group_index=3)
    with django_assert_max_num_queries(16):
        round_tally(round=round1)


def test_response_rate_and_attrition_per_group(process, facilitator):
    a = [add_member(process, f"a{i}@example.org", group_index=0) for i in range(4)]
    b = [add_member(process, f"b{i}@example.org", group_index=1) for i in range(2)]
    round1 = open_first_round(process, facilitator)
    for member in [*a, *b[:1]]:
        rate_all(member, round1, 8)
    svc.round_close(round=round1, by=facilitator)
    round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    rate_all(a[0], round2, 8)
    rate_all(a[1], round2, 8)
    rate_all(b[0], round2, 8, complete=False)
    rows = {row.group: row for row in round_participation(round2)}
    patients = rows[a[0].panelist.group.name]
    assert (patients.invited, patients.completed, patients.response_rate) == (4, 2, Decimal("50.00"))
    assert patients.attrition == Decimal("50.00")
    professionals = rows[b[0].panelist.group.name]
    assert (professionals.invited, professionals.started, professionals.completed) == (1, 1, 0)
    assert professionals.attrition == Decimal("100.00")
    assert rows["All panelists"].invited == 5


def test_a_retally_updates_a_result_an_outcome_cites_in_place_and_rewrites_the_others(process, round1):
    ri = _rate(process, round1, [9] * 7 + [2] * 3)
    round_tally(round=round1)
    cited = _overall(ri)
    other = ItemResult.objects.get(round_item=ri, group=next(iter(process.groups.all())))
    version = VersionFactory(core_outcome_set=process.core_outcome_set, version="9.9.9")
    OutcomeFactory(version=version, evidence=cited)
    Rating.objects.filter(round_item=ri, score=2).update(score=5)
    round_tally(round=round1)
    cited.refresh_from_db()
    assert cited.classification == IN  # updated in place: the outcome's evidence now says what the votes say
    assert cited.distribution == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 3, "6": 0, "7": 0, "8": 0, "9": 7}
    rewritten = ItemResult.objects.get(round_item=ri, group=next(iter(process.groups.all())))
    assert rewritten.pk == other.pk
    assert (rewritten.n, rewritten.pct_high, rewritten.median) == (10, Decimal("70.00"), Decimal("9.00"))
    assert rewritten.computed_at >= other.computed_at
