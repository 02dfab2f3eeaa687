"""The facilitator operations of the consensus API: the definition and settings, stakeholder groups, candidates (one
by one and from CSV), panelists, suggestions, meeting counts, finalise and publish. Each works for a facilitator of
the process, is refused to a facilitator of another process and to anonymous callers, and bad input is a 400 with
field messages that stores nothing."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, ConsensusProcess, Item, Panelist, RoundItem, Suggestion
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.factories import InstrumentFactory

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


# --- Consensus definition and settings ----------------------------------------------------------------------------

PROCESS_FIELDS = (*svc.DEFINITION_FIELDS, *svc.SETTING_FIELDS, "status", "definition_locked_at")


def _process_row(process) -> tuple:
    return ConsensusProcess.objects.filter(pk=process.pk).values_list(*PROCESS_FIELDS).get()


def test_the_process_detail_shows_the_definition_and_every_setting(client, process):
    body = client.get(reverse("api:consensus-process-detail", args=[process.pk])).json()
    assert {*svc.DEFINITION_FIELDS, *svc.SETTING_FIELDS, "definition_locked_at"} <= set(body)
    assert (body["in_high_min_pct"], body["rule_scope"], body["definition_locked_at"]) == (70, "all_panelists", None)


def test_facilitator_changes_the_definition_and_settings_and_the_change_is_audited(client, process):
    url = reverse("api:consensus-process-detail", args=[process.pk])
    changes = {
        "rule_scope": "every_group",
        "in_high_min_pct": 80,
        "meeting_include_min_pct": 75,
        "description": "What we study",
        "consent_text": "I agree",
        "carry_forward": "no_consensus",
        "invitation_valid_days": 30,
    }
    response = client.patch(url, changes, format="json")
    assert response.status_code == 200, response.json()
    assert {name: response.json()[name] for name in changes} == changes
    process.refresh_from_db()
    assert {name: getattr(process, name) for name in changes} == changes
    assert process.title == "Test panel" and process.in_low_max_pct == 15  # what was not sent is kept
    event = AuditEvent.objects.get(action="consensus.process_update", process=process)
    assert event.after["in_high_min_pct"] == 80


def test_a_definition_field_after_round_1_opened_is_a_400_naming_it_and_stores_nothing(client, process, facilitator):
    open_first_round(process, facilitator)
    before = _process_row(process)
    response = client.patch(
        reverse("api:consensus-process-detail", args=[process.pk]),
        {"in_high_min_pct": 60, "rule_scope": "every_group", "title": "Renamed"},
        format="json",
    )
    assert response.status_code == 400
    assert set(_fields(response)) == {"in_high_min_pct", "rule_scope"}
    assert "locked" in _fields(response)["in_high_min_pct"][0]
    assert _process_row(process) == before  # not even the title, which alone would have been allowed


def test_settings_still_change_after_round_1_opened_and_an_unchanged_definition_field_is_no_refusal(
    client, process, facilitator
):
    open_first_round(process, facilitator)
    response = client.patch(
        reverse("api:consensus-process-detail", args=[process.pk]),
        {"title": "Renamed", "reminder_days_before_close": 5, "in_high_min_pct": 70},
        format="json",
    )
    assert response.status_code == 200, response.json()
    process.refresh_from_db()
    assert (process.title, process.reminder_days_before_close) == ("Renamed", 5)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"in_high_min_pct": 0}, "in_high_min_pct"),
        ({"out_low_min_pct": 101}, "out_low_min_pct"),
        ({"in_low_max_pct": "many"}, "in_low_max_pct"),
        ({"rule_scope": "bogus"}, "rule_scope"),
        ({"next_round_invitees": "friends"}, "next_round_invitees"),
        ({"carry_forward": None}, "carry_forward"),
        ({"invitation_valid_days": 0}, "invitation_valid_days"),
        ({"reminder_days_before_close": -1}, "reminder_days_before_close"),
        ({"reminder_days_before_close": 40000}, "reminder_days_before_close"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),  # blank after trimming: refused by the service
        ({"status": "published"}, "status"),  # not a setting: named, not ignored
        ({"definition_locked_at": None, "title": "Fine"}, "definition_locked_at"),
    ],
)
def test_a_bad_setting_is_a_400_with_a_field_message_and_stores_nothing(client, process, payload, field):
    before = _process_row(process)
    response = client.patch(reverse("api:consensus-process-detail", args=[process.pk]), payload, format="json")
    assert response.status_code == 400
    assert field in _fields(response)
    assert _process_row(process) == before
    assert not AuditEvent.objects.filter(action="consensus.process_update").exists()


def test_changing_a_process_is_refused_to_another_facilitator_and_to_anonymous(other_client, process):
    before = _process_row(process)
    url = reverse("api:consensus-process-detail", args=[process.pk])
    _assert_refused(other_client, "patch", url, {"title": "Hijacked", "in_high_min_pct": 10})
    assert _process_row(process) == before


# --- Stakeholder groups -------------------------------------------------------------------------------------------


def _groups(process) -> list[str]:
    return list(process.groups.order_by("order", "id").values_list("name", flat=True))


def test_facilitator_lists_adds_renames_and_removes_groups(client, process, members):
    url = reverse("api:consensus-groups", args=[process.pk])
    rows = client.get(url).json()
    assert [(r["name"], r["panelist_count"]) for r in rows[:3]] == [
        ("Patients and carers", 2),
        ("Health professionals", 2),
        ("Researchers", 0),
    ]
    response = client.post(url, {"name": "  Funders "}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "Funders" and response.json()["panelist_count"] == 0
    group = process.groups.get(name="Funders")
    response = client.patch(reverse("api:consensus-group", args=[group.pk]), {"name": "Charities"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Charities"
    response = client.delete(reverse("api:consensus-group", args=[group.pk]))
    assert response.status_code == 204
    assert "Charities" not in _groups(process) and "Funders" not in _groups(process)
    actions = set(AuditEvent.objects.filter(process=process).values_list("action", flat=True))
    assert {"consensus.group_create", "consensus.group_update", "consensus.group_delete"} <= actions


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),  # blank after trimming: refused by the service
        ({"name": "x" * 121}, "name"),
        ({"name": "RESEARCHERS"}, "name"),  # a duplicate, whatever its case: refused by the service
    ],
)
def test_a_bad_new_group_is_a_400_with_a_field_message_and_stores_nothing(client, process, payload, field):
    before = _groups(process)
    response = client.post(reverse("api:consensus-groups", args=[process.pk]), payload, format="json")
    assert response.status_code == 400 and field in _fields(response)
    assert _groups(process) == before


@pytest.mark.parametrize(
    ("payload", "field"),
    [({}, "name"), ({"name": " "}, "name"), ({"name": "x" * 121}, "name"), ({"name": "industry"}, "name")],
)
def test_a_bad_rename_is_a_400_with_a_field_message_and_changes_nothing(client, process, payload, field):
    group = process.groups.get(name="Researchers")
    before = _groups(process)
    response = client.patch(reverse("api:consensus-group", args=[group.pk]), payload, format="json")
    assert response.status_code == 400 and field in _fields(response)
    assert _groups(process) == before


def test_renaming_a_group_to_its_own_name_in_another_case_is_allowed(client, process):
    group = process.groups.get(name="Researchers")
    response = client.patch(reverse("api:consensus-group", args=[group.pk]), {"name": "researchers"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "researchers"


def test_removing_a_group_with_panelists_is_a_400_and_removes_nothing(client, process, members):
    group = members[0].panelist.group
    before = _groups(process)
    response = client.delete(reverse("api:consensus-group", args=[group.pk]))
    assert response.status_code == 400 and "group" in _fields(response)
    assert "panelists" in _fields(response)["group"][0]
    assert _groups(process) == before
    assert not AuditEvent.objects.filter(action="consensus.group_delete").exists()


def test_groups_of_a_finalised_process_cannot_change_and_each_refusal_is_a_400(
    client, process, facilitator, closed_round1
):
    svc.process_finalise(process=process, by=facilitator)
    group = process.groups.get(name="Researchers")
    before = _groups(process)
    responses = [
        client.post(reverse("api:consensus-groups", args=[process.pk]), {"name": "Late"}, format="json"),
        client.patch(reverse("api:consensus-group", args=[group.pk]), {"name": "Renamed"}, format="json"),
        client.delete(reverse("api:consensus-group", args=[group.pk])),
    ]
    for response in responses:
        assert response.status_code == 400 and "finalised" in _fields(response)["process"][0]
    assert _groups(process) == before


def test_group_operations_are_refused_to_another_facilitator_and_to_anonymous(other_client, process):
    group = process.groups.get(name="Researchers")
    before = _groups(process)
    _assert_refused(other_client, "get", reverse("api:consensus-groups", args=[process.pk]))
    _assert_refused(other_client, "post", reverse("api:consensus-groups", args=[process.pk]), {"name": "Sneaky"})
    _assert_refused(other_client, "patch", reverse("api:consensus-group", args=[group.pk]), {"name": "Sneaky"})
    _assert_refused(other_client, "delete", reverse("api:consensus-group", args=[group.pk]))
    assert _groups(process) == before


def test_an_unknown_group_is_a_404(client):
    assert client.patch(reverse("api:consensus-group", args=[999999]), {"name": "X"}, format="json").status_code == 404
    assert client.delete(reverse("api:consensus-group", args=[999999])).status_code == 404


# --- Candidate import from CSV ------------------------------------------------------------------------------------


def _csv(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


GOOD_CSV = '\ufeffname,definition,domains\nFatigue,Tiredness,3; 9\n"Pain, at rest",,5\n'.encode()


def test_facilitator_imports_candidates_from_an_uploaded_csv_file(client, process):
    url = reverse("api:consensus-items-import", args=[process.pk])
    response = client.post(url, {"file": _csv("candidates.csv", GOOD_CSV)}, format="multipart")
    assert response.status_code == 201, response.json()
    assert [(i["name"], i["definition"], i["domains"]) for i in response.json()] == [
        ("Fatigue", "Tiredness", [3, 9]),
        ("Pain, at rest", "", [5]),
    ]
    assert process.items.count() == 5
    assert AuditEvent.objects.filter(action="consensus.candidates_import", process=process).exists()


def test_facilitator_imports_candidates_sent_as_a_text_csv_body(client, process):
    url = reverse("api:consensus-items-import", args=[process.pk])
    response = client.generic("POST", url, GOOD_CSV, content_type="text/csv; charset=utf-8")
    assert response.status_code == 201, response.json()
    assert [i["name"] for i in response.json()] == ["Fatigue", "Pain, at rest"]


def test_a_csv_file_with_bad_rows_is_a_400_listing_every_bad_row_by_line_and_imports_nothing(client, process):
    content = (
        b"name,definition,domains\n"
        b"Fine,,3\n"
        b",,4\n"  # line 3: no name
        b"Outcome 1,,2\n"  # line 4: already a candidate
        b"Sleep,,39\n"  # line 5: not a domain
        b"Fine,,3\n"  # line 6: repeats line 2
        b"Mood,,\n"  # line 7: no domain
    )
    before = Item.objects.count()
    response = client.post(
        reverse("api:consensus-items-import", args=[process.pk]), {"file": _csv("c.csv", content)}, format="multipart"
    )
    assert response.status_code == 400
    assert _fields(response) == {
        "file": [
            "Line 3: the name is empty.",
            "Line 4: 'Outcome 1' is already a candidate of this process.",
            "Line 5: '39' is not a COMET domain number (1-38).",
            "Line 6: 'Fine' repeats line 2.",
            "Line 7: no COMET domain number.",
        ]
    }
    assert Item.objects.count() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"name,domains\nCaf\xe9,3\n", "Line 2: is not UTF-8 text."),
        (b"title,notes\nFatigue,3\n", "Line 1: the header must name"),
        (b"name,definition,domains\n", "The file has a header but no candidate rows."),
        (b"name,domains\n" + b"x" * 1_000_000, "The file is larger than 1000 kB"),
    ],
)
def test_an_unreadable_csv_file_is_a_400_on_the_file_and_imports_nothing(client, process, content, message):
    before = Item.objects.count()
    url = reverse("api:consensus-items-import", args=[process.pk])
    uploaded = client.post(url, {"file": _csv("c.csv", content)}, format="multipart")
    sent_as_body = client.generic("POST", url, content, content_type="text/csv")
    for response in (uploaded, sent_as_body):
        assert response.status_code == 400
        # An empty request body carries no file at all.
        expected = "No file was submitted." if response is sent_as_body and not content else message
        assert _fields(response)["file"][0].startswith(expected), _fields(response)
    assert Item.objects.count() == before


def test_an_import_without_a_file_is_a_400_and_one_in_json_is_a_415(client, process):
    url = reverse("api:consensus-items-import", args=[process.pk])
    response = client.post(url, {}, format="multipart")
    assert response.status_code == 400 and "file" in _fields(response)
    response = client.post(url, {"file": "name,domains"}, format="json")
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"
    assert process.items.count() == 3


def test_importing_into_a_finalised_process_is_a_400_and_imports_nothing(client, process, facilitator, closed_round1):
    svc.process_finalise(process=process, by=facilitator)
    before = Item.objects.count()
    response = client.post(
        reverse("api:consensus-items-import", args=[process.pk]), {"file": _csv("c.csv", GOOD_CSV)}, format="multipart"
    )
    assert response.status_code == 400 and "process" in _fields(response)
    assert Item.objects.count() == before


def test_importing_candidates_is_refused_to_another_facilitator_and_to_anonymous(other_client, process):
    url = reverse("api:consensus-items-import", args=[process.pk])
    before = Item.objects.count()
    for client in (other_client, APIClient()):
        response = client.post(url, {"file": _csv("c.csv", GOOD_CSV)}, format="multipart")
        assert response.status_code in (401, 403), response.status_code
    assert Item.objects.count() == before


# --- Candidate items ----------------------------------------------------------------------------------------------


def test_facilitator_lists_and_adds_candidate_items(client, process):
    url = reverse("api:consensus-items", args=[process.pk])
    assert [i["name"] for i in client.get(url).json()] == ["Outcome 1", "Outcome 2", "Outcome 3"]
    response = client.post(url, {"name": "Fatigue", "definition": "Tiredness", "domains": [3, 9]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["domains"] == [3, 9] and response.json()["kind"] == "outcome"
    outcome = process.items.get(name="Fatigue")
    InstrumentFactory(acronym="FACIT-F")
    response = client.post(
        url,
        {"name": "Fatigue scale", "kind": "instrument", "outcome_item": outcome.pk, "instrument": "FACIT-F"},
        format="json",
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
    assert response.json()["was_rated"] is False
    item.refresh_from_db()
    assert item.definition == "Clearer" and list(item.domains.values_list("number", flat=True)) == [5]
    open_first_round(process, facilitator)
    rows = client.get(reverse("api:consensus-items", args=[process.pk])).json()
    assert {row["was_rated"] for row in rows} == {True}
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
    names = ("items", "panelists", "suggestions", "groups")
    urls = [reverse(f"api:consensus-{name}", args=[process.pk]) for name in names]
    svc.suggestion_submit(panelist=members[0].panelist, round=round1, name="One suggestion")
    counts = {}
    for url in urls:
        with django_assert_max_num_queries(12) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    for i in range(15):
        svc.item_create(process=process, name=f"More {i}", domain_numbers=[i + 1, i + 2], by=facilitator)
        group = svc.group_create(process=process, name=f"Group {i}", by=facilitator)
        panelist = svc.panelist_invite(process=process, email=f"more{i}@example.org", by=facilitator)
        panelist = svc.panelist_consent(panelist=panelist, group=group)
        svc.suggestion_submit(panelist=panelist, round=round1, name=f"Suggestion {i}")
    for url in urls:
        with django_assert_max_num_queries(counts[url]):
            response = client.get(url)
        assert len(response.json()) >= 16
