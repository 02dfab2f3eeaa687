"""Draft and submitted answers: only a submission changes what is tallied, on the page and in the API alike."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import ItemResult, Rating
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally

from .conftest import open_first_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def round1(process, facilitator, members):
    return open_first_round(process, facilitator)


def _api(member) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    return client


def _page(member) -> Client:
    client = Client()
    client.get(reverse("panel:enter", args=[member.token]))
    return client


def _api_send(member, round_, score: int, *, complete: bool):
    items = round_.round_items.values_list("item_id", flat=True)
    body = {"ratings": [{"item_id": pk, "score": score} for pk in items], "complete": complete}
    return _api(member).put(reverse("api:panel-round", args=[round_.number]), body, format="json")


def _page_send(member, round_, score: int, *, complete: bool):
    form = {f"score-{pk}": str(score) for pk in round_.round_items.values_list("item_id", flat=True)}
    form["action"] = "submit" if complete else "save"
    return _page(member).post(reverse("panel:round", args=[round_.number]), form)


def _tallied_scores(round_, member) -> set[int]:
    round_tally(round=round_)
    return set(Rating.objects.tallied().filter(panelist=member.panelist).values_list("score", flat=True))


@pytest.mark.parametrize("send", [_api_send, _page_send], ids=["api", "page"])
def test_saving_progress_after_submitting_keeps_a_draft_and_the_tally_keeps_the_submitted_answer(members, round1, send):
    member = members[0]
    assert send(member, round1, 6, complete=True).status_code in (200, 302)
    assert send(member, round1, 5, complete=False).status_code in (200, 302)
    assert _tallied_scores(round1, member) == {6}
    overall = ItemResult.objects.filter(round_item__round=round1, group__isnull=True).first()
    assert overall.distribution["6"] == 1 and overall.distribution["5"] == 0
    # The panelist sees their draft, marked as one, and is told it does not count yet.
    page = _page(member).get(reverse("panel:round", args=[1])).content.decode()
    assert "Only your submitted answers count" in page
    item = _api(member).get(reverse("api:panel-round", args=[1])).json()["items"][0]
    assert item["rating"]["score"] == 5 and item["rating"]["is_draft"] is True
    # A new submission makes the draft the submitted answer and drops it.
    assert send(member, round1, 5, complete=True).status_code in (200, 302)
    assert _tallied_scores(round1, member) == {5}
    assert not Rating.objects.filter(panelist=member.panelist, is_draft=True).exists()
    assert (
        "Only your submitted answers count" not in _page(member).get(reverse("panel:round", args=[1])).content.decode()
    )
    assert Rating.objects.filter(panelist=member.panelist).count() == round1.round_items.count()


@pytest.mark.parametrize("send", [_api_send, _page_send], ids=["api", "page"])
def test_answers_saved_before_any_submission_are_drafts_that_are_never_tallied(members, round1, send):
    send(members[0], round1, 9, complete=False)
    assert _tallied_scores(round1, members[0]) == set()
    assert Rating.objects.filter(panelist=members[0].panelist, is_draft=True).count() == 3


def test_an_incomplete_submission_is_refused_alike_by_the_page_and_the_api_and_stores_nothing(members, round1):
    first = round1.round_items.first().item_id
    api = _api(members[0]).put(
        reverse("api:panel-round", args=[1]), {"ratings": [{"item_id": first, "score": 8}], "complete": True}, "json"
    )
    page = _page(members[1]).post(reverse("panel:round", args=[1]), {f"score-{first}": "8", "action": "submit"})
    assert api.status_code == 400
    assert "1 of 3 answered" in api.json()["error"]["fields"]["complete"][0]
    assert page.status_code == 400
    assert not Rating.objects.exists()


def test_a_submission_completes_the_stored_draft_with_the_answers_it_sends(members, round1):
    """The panelist saved two answers, then submits the third: the submission is the three together."""
    items = list(round1.round_items.values_list("item_id", flat=True))
    panelist = members[0].panelist
    svc.rating_submit(panelist=panelist, round=round1, ratings=[svc.RatingInput(item_id=i, score=8) for i in items[:2]])
    svc.rating_submit(
        panelist=panelist, round=round1, ratings=[svc.RatingInput(item_id=items[2], score=2)], complete=True
    )
    submitted = dict(Rating.objects.tallied().filter(panelist=panelist).values_list("round_item__item_id", "score"))
    assert submitted == {items[0]: 8, items[1]: 8, items[2]: 2}
    assert all(Rating.objects.filter(panelist=panelist).values_list("submitted_at", flat=True))
