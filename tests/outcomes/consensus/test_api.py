"""The consensus API: panelist token authentication, whole-round submissions, refusals, facilitator endpoints."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from outcomes.models import Panelist, Rating, Round
from outcomes.services import consensus as svc

from .conftest import add_member, make_process, open_first_round, rate_all

pytestmark = pytest.mark.django_db


def panel_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {token}")
    return client


def submission(round_: Round, score=7, **extra) -> dict:
    items = round_.round_items.values_list("item_id", flat=True)
    return {"ratings": [{"item_id": pk, "score": score, **extra} for pk in items], "complete": True}


@pytest.fixture
def round1(process, facilitator, members):
    return open_first_round(process, facilitator)


def test_panelist_submits_a_whole_round_in_one_request_and_resubmitting_changes_not_duplicates(members, round1):
    client = panel_client(members[0].token)
    url = reverse("api:panel-round", args=[1])
    response = client.put(url, submission(round1, 7), format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["completed_at"] is not None
    response = client.put(url, submission(round1, 3), format="json")
    assert response.status_code == 200
    ratings = Rating.objects.filter(panelist=members[0].panelist)
    assert ratings.count() == round1.round_items.count()
    assert set(ratings.values_list("score", flat=True)) == {3}


def test_resubmitting_keeps_each_ratings_id_and_created_at_and_moves_its_updated_at(members, round1):
    client = panel_client(members[0].token)
    url = reverse("api:panel-round", args=[1])
    assert client.put(url, submission(round1, 7), format="json").status_code == 200
    first = {r.round_item_id: r for r in Rating.objects.filter(panelist=members[0].panelist)}
    body = submission(round1, 4)
    body["ratings"][0].update(score=None, unable_to_score=True, comment="  cannot judge  ")
    assert client.put(url, body, format="json").status_code == 200
    again = {r.round_item_id: r for r in Rating.objects.filter(panelist=members[0].panelist)}
    assert again.keys() == first.keys()
    for round_item_id, rating in again.items():
        assert rating.pk == first[round_item_id].pk
        assert rating.created_at == first[round_item_id].created_at
        assert rating.created_at.tzinfo is not None
        assert rating.updated_at > first[round_item_id].updated_at
    changed = again[round1.round_items.get(item_id=body["ratings"][0]["item_id"]).pk]
    assert (changed.score, changed.unable_to_score, changed.comment) == (None, True, "cannot judge")
    assert {r.score for r in again.values() if r.pk != changed.pk} == {4}


def test_round_document_shows_own_ratings_and_from_round_2_the_previous_distribution_per_group(
    process, facilitator, members, round1
):
    for member, score in zip(members, (9, 8, 2, 5), strict=True):
        rate_all(member, round1, score)
    svc.round_close(round=round1, by=facilitator)  # tallied by the task (eager) or lazily below
    round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    assert round2.number == 2
    response = panel_client(members[0].token).get(reverse("api:panel-round", args=[2]))
    assert response.status_code == 200
    item = response.json()["items"][0]
    assert item["previous_rating"]["score"] == 9
    assert item["rating"] is None
    overall = next(f for f in item["feedback"] if f["group"] == "All panelists")
    assert overall["n"] == 4
    assert overall["distribution"] == [0, 1, 0, 0, 1, 0, 0, 1, 1]
    groups = {f["group"] for f in item["feedback"]}
    assert members[0].panelist.group.name in groups and members[1].panelist.group.name in groups
    # the document names no other panelist
    body = response.content.decode()
    assert members[1].panelist.code not in body and "@example.org" not in body


@pytest.mark.parametrize("score", [0, 10, -1, "nine"])
def test_score_outside_1_to_9_is_refused_with_a_field_error_and_nothing_is_stored(members, round1, score):
    payload = submission(round1, 5)
    payload["ratings"][1]["score"] = score
    response = panel_client(members[0].token).put(reverse("api:panel-round", args=[1]), payload, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["ratings.1.score"]
    assert Rating.objects.count() == 0


def test_rating_for_a_closed_round_is_refused_and_nothing_is_stored(members, round1, facilitator):
    svc.round_close(round=round1, by=facilitator)
    response = panel_client(members[0].token).put(
        reverse("api:panel-round", args=[1]), submission(round1), format="json"
    )
    assert response.status_code == 400
    assert "closed" in response.json()["error"]["fields"]["round"][0]
    assert Rating.objects.count() == 0


def test_rating_after_the_closing_date_is_refused_even_before_the_facilitator_closes(members, round1):
    now = timezone.now()
    Round.objects.filter(pk=round1.pk).update(
        opens_at=now - dt.timedelta(days=7), closes_at=now - dt.timedelta(minutes=1)
    )
    response = panel_client(members[0].token).put(
        reverse("api:panel-round", args=[1]), submission(round1), format="json"
    )
    assert response.status_code == 400
    assert Rating.objects.count() == 0


def test_an_item_of_another_process_or_not_in_the_round_is_refused_and_nothing_is_stored(
    process, facilitator, members, round1
):
    other = make_process(facilitator, items=1, title="Other")
    foreign = other.items.get()
    late = svc.item_create(process=process, name="Added after round 1 opened", domain_numbers=[5], by=facilitator)
    payload = submission(round1, 8)
    payload["ratings"].append({"item_id": foreign.pk, "score": 8})
    payload["ratings"].append({"item_id": late.pk, "score": 8})
    response = panel_client(members[0].token).put(reverse("api:panel-round", args=[1]), payload, format="json")
    assert response.status_code == 400
    errors = response.json()["error"]["fields"]
    assert "not part of this study" in errors[f"ratings.{len(payload['ratings']) - 2}.item_id"][0]
    assert "not part of round 1" in errors[f"ratings.{len(payload['ratings']) - 1}.item_id"][0]
    assert Rating.objects.count() == 0


def test_revoked_and_expired_links_are_refused(process, members, round1):
    svc.panelist_revoke(panelist=members[0].panelist, by=None)
    response = panel_client(members[0].token).put(
        reverse("api:panel-round", args=[1]), submission(round1), format="json"
    )
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]
    Panelist.objects.filter(pk=members[1].panelist.pk).update(token_expires_at=timezone.now() - dt.timedelta(days=1))
    response = panel_client(members[1].token).get(reverse("api:panel-me"))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]
    assert panel_client("not-a-token").get(reverse("api:panel-me")).status_code == 401
    assert Rating.objects.count() == 0


def test_panelist_endpoints_refuse_anonymous_and_facilitator_endpoints_refuse_panelists(
    client, members, round1, process
):
    assert client.get(reverse("api:panel-me")).status_code in (401, 403)
    response = panel_client(members[0].token).get(reverse("api:consensus-process-detail", args=[process.pk]))
    assert response.status_code in (401, 403)


def test_panelist_of_another_process_cannot_rate_this_process(facilitator, members, round1):
    other = make_process(facilitator, items=1, title="Other")
    stranger = add_member(other, "stranger@example.org")
    open_first_round(other, facilitator)
    response = panel_client(stranger.token).put(
        reverse("api:panel-round", args=[1]),
        {"ratings": [{"item_id": round1.round_items.first().item_id, "score": 9}]},
        format="json",
    )
    assert response.status_code == 400
    assert Rating.objects.count() == 0


def test_consent_and_group_choice_through_the_api(process, round1):
    newcomer = add_member(process, "new@example.org", consent=False)
    client = panel_client(newcomer.token)
    url = reverse("api:panel-round", args=[1])
    assert client.put(url, submission(round1), format="json").json()["error"]["fields"]["consent"]
    group = process.groups.last()
    response = client.post(reverse("api:panel-consent"), {"consent": True, "group_id": group.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["group"]["name"] == group.name
    assert client.put(url, submission(round1), format="json").status_code == 200


def test_facilitator_opens_closes_and_reads_results_and_another_facilitator_is_refused(
    api_client_for, process, facilitator, members, outsider, django_capture_on_commit_callbacks
):
    client = api_client_for(facilitator)
    response = client.post(reverse("api:consensus-round-list", args=[process.pk]), {}, format="json")
    assert response.status_code == 201, response.json()
    round_id = response.json()["id"]
    assert client.post(reverse("api:consensus-round-open", args=[round_id])).json()["status"] == "open"
    rate_all(members[0], Round.objects.get(pk=round_id), 9)
    with django_capture_on_commit_callbacks(execute=True):  # the tally task runs after the close commits
        assert client.post(reverse("api:consensus-round-close", args=[round_id])).json()["status"] == "closed"
    results = client.get(reverse("api:consensus-round-results", args=[round_id])).json()
    assert len(results) == 3
    overall = next(r for r in results[0]["results"] if r["group"] is None)
    assert (overall["n"], overall["classification"]) == (1, "in")

    other_facilitator = api_client_for(outsider)
    for name in ("consensus-round-open", "consensus-round-close", "consensus-round-results"):
        method = other_facilitator.get if name.endswith("results") else other_facilitator.post
        assert method(reverse(f"api:{name}", args=[round_id])).status_code in (403, 404)
    assert other_facilitator.get(reverse("api:consensus-process-detail", args=[process.pk])).status_code in (403, 404)
    assert other_facilitator.get(reverse("api:consensus-process-list")).json() == []
    assert APIClient().get(reverse("api:consensus-process-list")).status_code in (401, 403)


def test_opening_a_round_twice_is_a_400_with_a_message(api_client_for, process, facilitator, round1):
    response = api_client_for(facilitator).post(reverse("api:consensus-round-open", args=[round1.pk]))
    assert response.status_code == 400
    assert "is open, not a draft" in response.json()["error"]["fields"]["status"][0]


def test_round_queries_do_not_grow_with_items(facilitator, reference_data, django_assert_max_num_queries):
    for items in (3, 60):
        process = make_process(facilitator, items=items, title=f"Panel of {items}")
        member = add_member(process, f"q{items}@example.org")
        round_ = open_first_round(process, facilitator)
        client = panel_client(member.token)
        with django_assert_max_num_queries(16):
            assert (
                client.put(reverse("api:panel-round", args=[1]), submission(round_), format="json").status_code == 200
            )
        with django_assert_max_num_queries(16):
            assert client.get(reverse("api:panel-round", args=[1])).status_code == 200
