"""Concurrent submissions on PostgreSQL: one rating per panelist, item and round; a close never loses a vote."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from outcomes.models import ItemResult, Rating
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.conftest import requires_postgres

from .conftest import add_member, make_process, open_first_round

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def _run_together(functions) -> list:
    barrier = threading.Barrier(len(functions))
    outcomes: list = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            outcomes[index] = function()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_concurrent_submissions_of_one_panelist_end_with_exactly_one_rating_per_item(reference_data, facilitator):
    process = make_process(facilitator, items=20)
    member = add_member(process, "racer@example.org")
    round1 = open_first_round(process, facilitator)
    item_ids = list(round1.round_items.values_list("item_id", flat=True))

    def submit(score):
        entries = [svc.RatingInput(item_id=pk, score=score) for pk in item_ids]
        return svc.rating_submit(panelist=member.panelist, round=round1, ratings=entries, complete=True)

    outcomes = _run_together([lambda s=s: submit(s) for s in range(1, 10)])
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert Rating.objects.count() == len(item_ids)
    assert Rating.objects.values("score").distinct().count() == 1  # one submission's scores won, whole


def test_votes_arriving_while_the_round_closes_are_either_counted_or_refused(reference_data, facilitator):
    process = make_process(facilitator, items=10)
    members = [add_member(process, f"m{i}@example.org") for i in range(12)]
    round1 = open_first_round(process, facilitator)
    item_ids = list(round1.round_items.values_list("item_id", flat=True))

    def submit(member):
        entries = [svc.RatingInput(item_id=pk, score=8) for pk in item_ids]
        return svc.rating_submit(panelist=member.panelist, round=round1, ratings=entries, complete=True)

    functions = [lambda m=m: submit(m) for m in members]
    functions.insert(6, lambda: svc.round_close(round=round1, by=facilitator))
    outcomes = _run_together(functions)
    close = outcomes.pop(6)
    assert not isinstance(close, Exception)
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, ValidationError) and "closed" in o.messages[0] for o in refused)
    assert len(accepted) + len(refused) == len(members)
    # every accepted submission is whole and counted by the tally; every refused one stored nothing
    assert Rating.objects.count() == len(accepted) * len(item_ids)
    round_tally(round=round1)
    result = ItemResult.objects.get(round_item__round=round1, round_item__item_id=item_ids[0], group__isnull=True)
    assert result.n == len(accepted)
