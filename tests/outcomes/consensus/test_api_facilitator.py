"""The facilitator operations of the consensus API: candidates, panelists, suggestions, meeting counts, finalise and
publish. Each works for a facilitator of the process, is refused to a facilitator of another process and to
anonymous callers, and bad input is a 400 with field messages that stores nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import ConsensusProcess, Item, Panelist, RoundItem, Suggestion
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally

from .conftest import make_process, open_first_round, rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client_for, facilitator) -> APIClient:
    return api_client_for(facilitator)


@pytest.fixture
def other_client(api_client_for, outsider) -> APIClient:
    """A facilitator, but of another process."""
    make_process(outsider, items=1, title="Outsider's panel")
    return api_client_for(outsider)


@pytest.fixture
def round1(process, facilitator, members):
    round_ = svc.round_create(process=process, by=facilitator, allow_suggestions=True)
    return svc.round_open(round=round_, by=facilitator)


@pytest.fixture
def suggestion(members, round1) -> Suggestion:
    return svc.suggestion_submit(panelist=members[0].panelist, round=round1, name="Sleep quality", rationale="Why")


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


def _assert_refused(other_client, method: str, url: str, data=None) -> None:
    response = getattr(other_client, method)(url, data or {}, format="json")
    assert response.status_code in (403, 404), (url, response.status_code)
    anonymous = getattr(APIClient(), method)(url, data or {}, format="json")
    assert anonymous.status_code in (401, 403), (url, anonymous.status_code)


# --- Candidate items ----------------------------------------------------------------------------------------------


def test_facilitator_lists_and_adds_candidate_items(client, process):
    url = reverse("api:consensus-items", args=[process.pk])
    assert [i["name"] for i in client.get(url).json()] == ["Outcome 1", "Outcome 2", "Outcome 3"]
    response = client.post(url, {"name": "Fatigue", "definition": "Tiredness", "domains": [3, 9]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["domains"] == [3, 9] and response.json()["kind"] == "outcome"
    outcome = process.items.get(name="Fatigue")
    response = client.post(
        url, {"name": "Fatigue scale", "kind": "instrument", "outcome_item": outcome.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert process.items.get(name="Fatigue scale").outcome_item == outcome


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "Outcome 1"}, "name"),  # a duplicate, refused by the service
        ({"name": "New", "domains": [99]}, "domains"),
        ({"name": "New", "kind": "definition"}, "outcome_item"),
        ({"name": "New", "kind": "bogus"}, "kind"),
    ],
)
def test_a_bad_candidate_is_a_400_with_a_field_message_and_stores_nothing(client, process, payload, field):
    before = Item.objects.count()
    response = client.post(reverse("api:consensus-items", args=[process.pk]), payload, format="json")
    assert response.status_code == 400
    assert field in _fields(response)
    assert Item.objects.count() == before


def test_an_item_of_another_process_cannot_be_named_as_the_outcome_item(client, process, outsider):
    foreign = make_process(outsider, items=1, title="Foreign").items.get()
    before = Item.objects.count()
    response = client.post(
        reverse("api:consensus-items", args=[process.pk]),
        {"name": "Its definition", "kind": "definition", "outcome_item": foreign.pk},
        format="json",
    )
    assert response.status_code == 400 and "outcome_item" in _fields(response)
    assert Item.objects.count() == before


def test_facilitator_edits_an_item_until_it_is_rated(client, process, facilitator):
    item = process.items.get(name="Outcome 1")
    url = reverse("api:consensus-item", args=[item.pk])
    response = client.patch(url, {"definition": "Clearer", "domains": [5]}, format="json")
    assert response.status_code == 200, response.json()
    item.refresh_from_db()
    assert item.definition == "Clearer" and list(item.domains.values_list("number", flat=True)) == [5]
    open_first_round(process, facilitator)
    response = client.patch(url, {"name": "Renamed"}, format="json")
    assert response.status_code == 400 and "item" in _fields(response)
    item.refresh_from_db()
    assert item.name == "Outcome 1"


def test_an_item_edit_with_a_duplicate_name_is_a_400_and_changes_nothing(client, process):
    item = process.items.get(name="Outcome 1")
    response = client.patch(reverse("api:consensus-item", args=[item.pk]), {"name": "Outcome 2"}, format="json")
    assert response.status_code == 400 and "name" in _fields(response)
    item.refresh_from_db()
    assert item.name == "Outcome 1"


def test_item_operations_are_refused_to_another_facilitator_and_to_anonymous(other_client, process):
    item = process.items.first()
    before = list(Item.objects.order_by("pk").values_list("name", "definition"))
    _assert_refused(other_client, "get", reverse("api:consensus-items", args=[process.pk]))
    _assert_refused(other_client, "post", reverse("api:consensus-items", args=[process.pk]), {"name": "Sneaky"})
    _assert_refused(other_client, "patch", reverse("api:consensus-item", args=[item.pk]), {"name": "Sneaky"})
    assert list(Item.objects.order_by("pk").values_list("name", "definition")) == before


# --- Panelists ----------------------------------------------------------------------------------------------------


def test_facilitator_invites_a_panelist_who_is_emailed_a_link_and_listed(
    client, process, django_capture_on_commit_callbacks
):
    group = process.groups.first()
    url = reverse("api:consensus-panelists", args=[process.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"email": "Ann@Example.org", "group_id": group.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["code"] == "P0001" and response.json()["group"]["id"] == group.pk
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.org"]
    rows = client.get(url).json()
    assert [(r["code"], r["email"], r["link_status"]) for r in rows] == [("P0001", "ann@example.org", "active")]
    assert rows[0]["consented_at"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"email": "not-an-email"}, "email"), ({}, "email"), ({"email": "a@example.org", "group_id": 999999}, "group_id")],
)
def test_a_bad_invitation_is_a_400_with_a_field_message_and_stores_nothing(client, process, payload, field):
    response = client.post(reverse("api:consensus-panelists", args=[process.pk]), payload, format="json")
    assert response.status_code == 400 and field in _fields(response)
    assert not Panelist.objects.exists()


def test_inviting_the_same_person_twice_is_a_400(client, process, members):
    response = client.post(
        reverse("api:consensus-panelists", args=[process.pk]), {"email": "p0@example.org"}, format="json"
    )
    assert response.status_code == 400 and "email" in _fields(response)
    assert process.panelists.count() == len(members)


def test_facilitator_resends_and_revokes_a_link_and_a_revoked_link_cannot_be_resent(
    client, members, django_capture_on_commit_callbacks
):
    panelist = members[0].panelist
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("api:consensus-panelist-resend", args=[panelist.pk]))
    assert response.status_code == 200 and len(mail.outbox) == 1
    panelist.refresh_from_db()
    assert panelist.token_hash != svc.token_hash(members[0].token)  # the old link stopped working
    response = client.post(reverse("api:consensus-panelist-revoke", args=[panelist.pk]))
    assert response.status_code == 200 and response.json()["link_status"] == "revoked"
    response = client.post(reverse("api:consensus-panelist-resend", args=[panelist.pk]))
    assert response.status_code == 400 and "panelist" in _fields(response)


def test_panelist_operations_are_refused_to_another_facilitator_and_to_anonymous(other_client, process, members):
    panelist = members[0].panelist
    _assert_refused(other_client, "get", reverse("api:consensus-panelists", args=[process.pk]))
    _assert_refused(
        other_client, "post", reverse("api:consensus-panelists", args=[process.pk]), {"email": "x@example.org"}
    )
    _assert_refused(other_client, "post", reverse("api:consensus-panelist-revoke", args=[panelist.pk]))
    _assert_refused(other_client, "post", reverse("api:consensus-panelist-resend", args=[panelist.pk]))
    panelist.refresh_from_db()
    assert panelist.token_revoked_at is None
    assert process.panelists.count() == len(members)
    body = other_client.get(reverse("api:consensus-panelists", args=[process.pk])).content.decode()
    assert "p0@example.org" not in body


# --- Suggestions --------------------------------------------------------------------------------------------------


def test_facilitator_lists_suggestions_and_accepts_merges_or_rejects_them(client, process, members, round1):
    s1, s2, s3 = (
        svc.suggestion_submit(panelist=members[i].panelist, round=round1, name=name)
        for i, name in enumerate(["Sleep quality", "Tiredness", "Cost"])
    )
    rows = client.get(reverse("api:consensus-suggestions", args=[process.pk])).json()
    assert {r["name"] for r in rows} == {"Sleep quality", "Tiredness", "Cost"}
    assert {r["panelist"] for r in rows} == {m.panelist.code for m in members[:3]}

    def decide(suggestion, **data):
        return client.post(reverse("api:consensus-suggestion-decide", args=[suggestion.pk]), data, format="json")

    accepted = decide(s1, decision="accepted", domains=[7])
    assert accepted.status_code == 200, accepted.json()
    new_item = process.items.get(name="Sleep quality")
    assert accepted.json()["resulting_item"] == new_item.pk and new_item.source == Item.Source.SUGGESTION
    target = process.items.get(name="Outcome 1")
    merged = decide(s2, decision="merged", merge_into=target.pk)
    assert merged.status_code == 200 and merged.json()["merged_into"] == target.pk
    rejected = decide(s3, decision="rejected", reason="Out of scope")
    assert rejected.status_code == 200 and rejected.json()["reason"] == "Out of scope"
    assert dict(Suggestion.objects.values_list("name", "status")) == {
        "Sleep quality": "accepted",
        "Tiredness": "merged",
        "Cost": "rejected",
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "decision"),
        ({"decision": "maybe"}, "decision"),
        ({"decision": "rejected"}, "reason"),  # the service wants a reason
        ({"decision": "merged"}, "merge_into"),
        ({"decision": "merged", "merge_into": 999999}, "merge_into"),
        ({"decision": "accepted", "domains": [99]}, "domains"),
    ],
)
def test_a_bad_decision_is_a_400_with_a_field_message_and_changes_nothing(client, process, suggestion, payload, field):
    items = Item.objects.count()
    response = client.post(reverse("api:consensus-suggestion-decide", args=[suggestion.pk]), payload, format="json")
    assert response.status_code == 400 and field in _fields(response)
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING and Item.objects.count() == items


def test_suggestion_operations_are_refused_to_another_facilitator_and_to_anonymous(other_client, process, suggestion):
    _assert_refused(other_client, "get", reverse("api:consensus-suggestions", args=[process.pk]))
    _assert_refused(
        other_client,
        "post",
        reverse("api:consensus-suggestion-decide", args=[suggestion.pk]),
        {"decision": "rejected", "reason": "No"},
    )
    suggestion.refresh_from_db()
    assert suggestion.status == Suggestion.Status.PENDING


# --- Meeting, finalise, publish -----------------------------------------------------------------------------------


def _close_round1(members, round1, facilitator, scores):
    for member, score in zip(members, scores, strict=True):
        rate_all(member, round1, score)
    round_ = svc.round_close(round=round1, by=facilitator)
    round_tally(round=round_)
    return round_


@pytest.fixture
def closed_round1(process, facilitator, members, round1):
    """Every item in: 4 of 4 score 7-9."""
    return _close_round1(members, round1, facilitator, (9, 9, 8, 7))


@pytest.fixture
def meeting(process, facilitator, members, round1):
    """Round 1 without consensus (half score 4-6), then the meeting on every item, open."""
    _close_round1(members, round1, facilitator, (9, 9, 5, 5))
    return svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)


def test_facilitator_enters_live_counts_for_a_meeting_item(client, meeting):
    round_item = meeting.round_items.order_by("pk").first()
    url = reverse("api:consensus-meeting-counts", args=[round_item.pk])
    response = client.put(url, {"include": 8, "exclude": 1, "abstain": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["include"] == 8
    round_item.refresh_from_db()
    assert (round_item.live_include, round_item.live_exclude, round_item.live_abstain) == (8, 1, 1)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"include": -1, "exclude": 0, "abstain": 0}, "include"),
        ({"include": 1, "exclude": "x", "abstain": 0}, "exclude"),
    ],
)
def test_bad_live_counts_are_a_400_with_a_field_message_and_store_nothing(client, meeting, payload, field):
    round_item = meeting.round_items.order_by("pk").first()
    response = client.put(reverse("api:consensus-meeting-counts", args=[round_item.pk]), payload, format="json")
    assert response.status_code == 400 and field in _fields(response)
    round_item.refresh_from_db()
    assert round_item.live_include is None


def test_live_counts_for_a_delphi_round_item_are_a_400(client, round1):
    round_item = round1.round_items.first()
    data = {"include": 1, "exclude": 0, "abstain": 0}
    response = client.put(reverse("api:consensus-meeting-counts", args=[round_item.pk]), data, format="json")
    assert response.status_code == 400 and "round" in _fields(response)
    assert not RoundItem.objects.filter(live_include__isnull=False).exists()


def test_live_counts_are_refused_to_another_facilitator_and_to_anonymous(other_client, meeting):
    round_item = meeting.round_items.first()
    url = reverse("api:consensus-meeting-counts", args=[round_item.pk])
    _assert_refused(other_client, "put", url, {"include": 5, "exclude": 0, "abstain": 0})
    round_item.refresh_from_db()
    assert round_item.live_include is None


def test_finalise_and_publish_build_and_publish_the_version(client, process, closed_round1):
    assert client.post(reverse("api:consensus-publish", args=[process.pk])).status_code == 400  # not yet finalised
    response = client.post(reverse("api:consensus-finalise", args=[process.pk]))
    assert response.status_code == 200, response.json()
    assert response.json()["outcome_count"] == 3
    process.refresh_from_db()
    assert process.status == ConsensusProcess.Status.FINALISED
    again = client.post(reverse("api:consensus-finalise", args=[process.pk]))
    assert again.status_code == 400 and "status" in _fields(again)
    response = client.post(reverse("api:consensus-publish", args=[process.pk]))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "published"
    process.refresh_from_db()
    assert process.status == ConsensusProcess.Status.PUBLISHED


def test_finalising_while_a_round_is_open_is_a_400_and_changes_nothing(client, process, round1):
    response = client.post(reverse("api:consensus-finalise", args=[process.pk]))
    assert response.status_code == 400
    process.refresh_from_db()
    assert process.status != ConsensusProcess.Status.FINALISED and process.draft_version.outcomes.count() == 0


def test_finalise_and_publish_are_refused_to_another_facilitator_and_to_anonymous(other_client, process, closed_round1):
    _assert_refused(other_client, "post", reverse("api:consensus-finalise", args=[process.pk]))
    _assert_refused(other_client, "post", reverse("api:consensus-publish", args=[process.pk]))
    process.refresh_from_db()
    assert process.status not in (ConsensusProcess.Status.FINALISED, ConsensusProcess.Status.PUBLISHED)


def test_the_facilitator_lists_take_as_many_queries_for_many_rows_as_for_few(
    client, process, facilitator, round1, members, django_assert_max_num_queries
):
    urls = [reverse(f"api:consensus-{name}", args=[process.pk]) for name in ("items", "panelists", "suggestions")]
    svc.suggestion_submit(panelist=members[0].panelist, round=round1, name="One suggestion")
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for i in range(15):
        svc.item_create(process=process, name=f"More {i}", domain_numbers=[i + 1, i + 2], by=facilitator)
        panelist = svc.panelist_invite(process=process, email=f"more{i}@example.org", by=facilitator)
        panelist = svc.panelist_consent(panelist=panelist, group=process.groups.first())
        svc.suggestion_submit(panelist=panelist, round=round1, name=f"Suggestion {i}")
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
        assert len(response.json()) >= 16
