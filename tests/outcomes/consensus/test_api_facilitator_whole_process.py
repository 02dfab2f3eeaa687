"""A facilitator runs a whole process through the API: creates it, adds instrument and alternatives items, reads a
round with its round items, and finalises; an agreed instrument item adds its measurement to the version and the
winning option of an alternatives item reaches it. Every consensus write refuses a field it does not take."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, ConsensusProcess, Instrument, Item, ItemOption, Rating, StakeholderGroup
from outcomes.permissions import CURATORS_GROUP
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory, UserFactory

from .conftest import add_member, open_first_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api_client_for, facilitator) -> APIClient:
    return api_client_for(facilitator)


@pytest.fixture
def curator(db):
    user = UserFactory(username="curator")
    user.groups.add(Group.objects.get_or_create(name=CURATORS_GROUP)[0])
    return user


def _instrument(acronym: str) -> Instrument:
    return Instrument.objects.get_or_create(acronym=acronym, defaults={"name": acronym, "kind": "PROM"})[0]


def _fields(response) -> dict:
    return response.json()["error"]["fields"]


def _items_url(process) -> str:
    return reverse("api:consensus-items", args=[process.pk])


# --- Creating a process -------------------------------------------------------------------------------------------


def test_a_curator_creates_a_process_through_the_api_and_facilitates_it(api_client_for, curator, reference_data):
    cos = CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory(), slug="new-set")
    client = api_client_for(curator)
    response = client.post(
        reverse("api:consensus-process-list"),
        {"core_outcome_set": "new-set", "title": "  Heart failure update  ", "description": "Why"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    process = ConsensusProcess.objects.get(pk=body["id"])
    assert (body["title"], body["core_outcome_set"], body["status"], body["draft_version"]) == (
        "Heart failure update",
        "new-set",
        "setup",
        "1.0.0",
    )
    assert process.core_outcome_set == cos and list(process.facilitators.all()) == [curator]
    assert [g["name"] for g in body["groups"]] == list(process.groups.values_list("name", flat=True))
    assert AuditEvent.objects.filter(action="consensus.process_create", process=process).exists()
    assert client.get(reverse("api:consensus-process-detail", args=[process.pk])).status_code == 200


def test_only_curators_create_processes_through_the_api_as_on_the_page(api_client_for, facilitator, reference_data):
    CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory(), slug="new-set")
    data = {"core_outcome_set": "new-set", "title": "Mine"}
    response = api_client_for(facilitator).post(reverse("api:consensus-process-list"), data, format="json")
    assert response.status_code == 403
    assert APIClient().post(reverse("api:consensus-process-list"), data, format="json").status_code in (401, 403)
    assert not ConsensusProcess.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "No set"}, "core_outcome_set"),
        ({"core_outcome_set": "no-such-set", "title": "X"}, "core_outcome_set"),
        ({"core_outcome_set": "new-set", "title": "   "}, "title"),
        ({"core_outcome_set": "new-set", "title": "X", "status": "published"}, "status"),
        ({"core_outcome_set": "new-set", "title": "X", "facilitators": [1]}, "facilitators"),
    ],
)
def test_a_bad_new_process_is_a_400_naming_the_field_and_creates_nothing(
    api_client_for, curator, reference_data, payload, field
):
    CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory(), slug="new-set")
    response = api_client_for(curator).post(reverse("api:consensus-process-list"), payload, format="json")
    assert response.status_code == 400
    assert field in _fields(response)
    assert not ConsensusProcess.objects.exists()


def test_a_second_process_for_a_set_with_a_draft_is_a_400_on_the_set(api_client_for, curator, process):
    slug = process.core_outcome_set.slug
    data = {"core_outcome_set": slug, "title": "Again"}
    response = api_client_for(curator).post(reverse("api:consensus-process-list"), data, format="json")
    assert response.status_code == 400 and "core_outcome_set" in _fields(response)
    assert ConsensusProcess.objects.count() == 1


# --- Unknown and read-only fields ---------------------------------------------------------------------------------


def test_an_item_edit_naming_read_only_or_unknown_fields_is_a_400_naming_each_and_changes_nothing(client, process):
    item = process.items.get(name="Outcome 1")
    response = client.patch(
        reverse("api:consensus-item", args=[item.pk]),
        {"name": "Renamed", "process": 999, "kind": "definition", "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    fields = _fields(response)
    assert set(fields) == {"process", "kind", "colour"}
    assert fields["kind"] == ["This field is read-only."] and fields["colour"] == ["Unknown field."]
    item.refresh_from_db()
    assert (item.name, item.kind, item.process_id) == ("Outcome 1", "outcome", process.pk)


@pytest.mark.parametrize(
    ("url_name", "method", "payload", "field"),
    [
        ("api:consensus-items", "post", {"name": "New", "colour": "red"}, "colour"),
        ("api:consensus-items", "post", {"name": "New", "was_rated": False}, "was_rated"),
        ("api:consensus-groups", "post", {"name": "Nurses", "order": 1}, "order"),
        ("api:consensus-panelists", "post", {"email": "a@example.org", "role": "chair"}, "role"),
        ("api:consensus-round-list", "post", {"kind": "delphi", "status": "open"}, "status"),
        ("api:consensus-process-detail", "patch", {"title": "T", "status": "published"}, "status"),
    ],
)
def test_a_facilitator_write_with_a_field_it_does_not_take_is_a_400_naming_it(
    client, process, url_name, method, payload, field
):
    before = (Item.objects.count(), StakeholderGroup.objects.count(), process.panelists.count(), process.rounds.count())
    response = getattr(client, method)(reverse(url_name, args=[process.pk]), payload, format="json")
    assert response.status_code == 400
    assert field in _fields(response)
    after = (Item.objects.count(), StakeholderGroup.objects.count(), process.panelists.count(), process.rounds.count())
    assert after == before
    process.refresh_from_db()
    assert (process.title, process.status) == ("Test panel", "setup")


def test_an_action_without_fields_refuses_a_body_that_names_one_and_changes_nothing(client, process, facilitator):
    round_ = svc.round_create(process=process, by=facilitator)
    response = client.post(reverse("api:consensus-round-open", args=[round_.pk]), {"force": True}, format="json")
    assert response.status_code == 400 and _fields(response) == {"force": ["Unknown field."]}
    round_.refresh_from_db()
    assert round_.status == "draft"
    response = client.post(reverse("api:consensus-finalise", args=[process.pk]), {"publish": True}, format="json")
    assert response.status_code == 400 and "publish" in _fields(response)
    assert client.post(reverse("api:consensus-round-open", args=[round_.pk]), {}, format="json").status_code == 200


def test_a_body_naming_a_field_is_refused_after_the_permission_check(api_client_for, outsider, process, facilitator):
    round_ = svc.round_create(process=process, by=facilitator)
    url = reverse("api:consensus-round-open", args=[round_.pk])
    assert api_client_for(outsider).post(url, {"force": True}, format="json").status_code == 403


def test_a_panelist_rating_with_a_misspelt_field_is_a_400_naming_it_and_saves_nothing(process, facilitator):
    member = add_member(process, "p@example.org")
    round1 = open_first_round(process, facilitator)
    items = list(round1.round_items.values_list("item_id", flat=True))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    url = reverse("api:panel-round", args=[1])
    ratings = [{"item_id": pk, "score": 7} for pk in items]
    ratings[1] = {"item_id": items[1], "scroe": 7}
    response = client.put(url, {"ratings": ratings, "complete": False}, format="json")
    assert response.status_code == 400
    assert "ratings.1.scroe" in _fields(response), _fields(response)
    response = client.put(url, {"ratings": ratings[:1], "complete": False, "draft": True}, format="json")
    assert response.status_code == 400 and "draft" in _fields(response)
    assert not Rating.objects.exists()


def test_a_consent_with_an_unknown_field_is_a_400_naming_it(process):
    member = add_member(process, "p@example.org", consent=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    response = client.post(reverse("api:panel-consent"), {"consent": True, "groupid": 1}, format="json")
    assert response.status_code == 400 and "groupid" in _fields(response)
    member.panelist.refresh_from_db()
    assert member.panelist.consented_at is None


# --- Instrument and alternatives items ----------------------------------------------------------------------------


def test_an_instrument_item_names_an_instrument_by_acronym_with_its_timing(client, process):
    _instrument(acronym="KCCQ-12")
    outcome = process.items.get(name="Outcome 1")
    response = client.post(
        _items_url(process),
        {
            "name": "Measure Outcome 1 with the KCCQ-12",
            "kind": "instrument",
            "outcome_item": outcome.pk,
            "instrument": "KCCQ-12",
            "timing": "Baseline and 12 months",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["instrument"], body["timing"], body["outcome_item"]) == (
        "instrument",
        "KCCQ-12",
        "Baseline and 12 months",
        outcome.pk,
    )
    item = Item.objects.get(pk=body["id"])
    assert (item.instrument.acronym, item.timing) == ("KCCQ-12", "Baseline and 12 months")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "instrument", "instrument": "NOPE-1"}, "instrument"),  # not in the registry
        ({"kind": "instrument"}, "instrument"),  # an instrument item names one
        ({"kind": "definition", "instrument": "KCCQ-12"}, "instrument"),
        ({"kind": "definition", "timing": "At 6 months"}, "timing"),
        ({"kind": "alternatives", "options": [{"label": "Only one"}]}, "options"),
        ({"kind": "alternatives", "options": [{"label": "Same"}, {"label": "same"}]}, "options"),
        (
            {"kind": "alternatives", "options": [{"label": "A"}, {"label": "B", "instrument": "NOPE-1"}]},
            "options.1.instrument",
        ),
        ({"kind": "alternatives", "options": [{"label": "A"}, {"label": "B", "weight": 2}]}, "options.1.weight"),
        ({"kind": "definition", "options": [{"label": "A"}, {"label": "B"}]}, "options"),
        ({"kind": "outcome"}, "outcome_item"),  # an outcome is about no other outcome
    ],
)
def test_a_bad_instrument_or_alternatives_item_is_a_400_naming_the_field_and_stores_nothing(
    client, process, payload, field
):
    _instrument(acronym="KCCQ-12")
    before = (Item.objects.count(), ItemOption.objects.count())
    body = {"name": "Detail", "outcome_item": process.items.get(name="Outcome 1").pk, **payload}
    response = client.post(_items_url(process), body, format="json")
    assert response.status_code == 400
    assert field in _fields(response), _fields(response)
    assert (Item.objects.count(), ItemOption.objects.count()) == before


def test_an_unknown_instrument_acronym_is_named_in_the_message(client, process):
    body = {"name": "D", "kind": "instrument", "outcome_item": process.items.first().pk, "instrument": "NOPE-1"}
    response = client.post(_items_url(process), body, format="json")
    assert _fields(response)["instrument"] == ["No instrument of the registry has the acronym 'NOPE-1'."]


def test_an_alternatives_item_is_created_with_its_options_in_order(client, process):
    _instrument(acronym="MLHFQ")
    body = {
        "name": "How to measure Outcome 2",
        "kind": "alternatives",
        "outcome_item": process.items.get(name="Outcome 2").pk,
        "timing": "At 6 months",
        "options": [
            {"label": "Patient-reported", "definition": "As the patient reports it", "instrument": "MLHFQ"},
            {"label": "Clinician-assessed", "definition": "As the clinician assesses it"},
        ],
    }
    response = client.post(_items_url(process), body, format="json")
    assert response.status_code == 201, response.json()
    options = response.json()["options"]
    assert [(o["label"], o["definition"], o["instrument"]) for o in options] == [
        ("Patient-reported", "As the patient reports it", "MLHFQ"),
        ("Clinician-assessed", "As the clinician assesses it", None),
    ]
    item = Item.objects.get(pk=response.json()["id"])
    assert list(item.options.order_by("order").values_list("id", flat=True)) == [o["id"] for o in options]
    listed = next(i for i in client.get(_items_url(process)).json() if i["id"] == item.pk)
    assert listed["options"] == options


# --- Reading a round ----------------------------------------------------------------------------------------------


def test_a_round_reads_with_its_round_items_whose_ids_the_live_counts_take(client, process, facilitator):
    alternatives = svc.item_create(
        process=process,
        name="Choose",
        kind="alternatives",
        outcome_item=process.items.get(name="Outcome 1"),
        options=[svc.OptionInput(label="A"), svc.OptionInput(label="B")],
        by=facilitator,
    )
    add_member(process, "p@example.org")
    round1 = open_first_round(process, facilitator)
    svc.round_close(round=round1, by=facilitator)
    meeting = svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)

    body = client.get(reverse("api:consensus-round-detail", args=[meeting.pk])).json()
    assert (body["number"], body["kind"], body["status"]) == (2, "meeting", "open")
    expected = list(meeting.round_items.order_by("order", "id").values_list("id", "item_id", "item__name"))
    assert [(i["id"], i["item_id"], i["name"]) for i in body["items"]] == expected
    alt = next(i for i in body["items"] if i["item_id"] == alternatives.pk)
    assert alt["kind"] == "alternatives" and [o["label"] for o in alt["options"]] == ["A", "B"]

    first = body["items"][0]
    counts = {"include": 6, "exclude": 2, "abstain": 1}
    url = reverse("api:consensus-meeting-counts", args=[first["id"]])
    assert client.put(url, counts, format="json").status_code == 200
    again = client.get(reverse("api:consensus-round-detail", args=[meeting.pk])).json()["items"][0]
    assert (again["live_include"], again["live_exclude"], again["live_abstain"]) == (6, 2, 1)


def test_a_round_is_read_only_by_facilitators_of_its_process(api_client_for, outsider, process, facilitator):
    round1 = open_first_round(process, facilitator)
    url = reverse("api:consensus-round-detail", args=[round1.pk])
    assert api_client_for(outsider).get(url).status_code == 403
    assert APIClient().get(url).status_code in (401, 403)


# --- A whole process through the API ------------------------------------------------------------------------------


def test_an_agreed_instrument_item_and_a_winning_option_reach_the_version_through_the_api(client, process):
    """Created, rated by 10 panelists, tallied and finalised, all through the HTTP API."""
    _instrument(acronym="KCCQ-12")
    _instrument(acronym="MLHFQ")
    outcome1, outcome2 = process.items.get(name="Outcome 1"), process.items.get(name="Outcome 2")
    instrument_item = client.post(
        _items_url(process),
        {
            "name": "Measure Outcome 1 with the KCCQ-12",
            "kind": "instrument",
            "outcome_item": outcome1.pk,
            "instrument": "KCCQ-12",
            "timing": "Baseline and 12 months",
        },
        format="json",
    ).json()
    alternatives = client.post(
        _items_url(process),
        {
            "name": "How to define Outcome 2",
            "kind": "alternatives",
            "outcome_item": outcome2.pk,
            "options": [
                {"label": "Patient-reported", "definition": "As the patient reports it", "instrument": "MLHFQ"},
                {"label": "Clinician-assessed", "definition": "As the clinician assesses it"},
            ],
        },
        format="json",
    ).json()
    first_option, second_option = (o["id"] for o in alternatives["options"])
    groups = client.get(reverse("api:consensus-groups", args=[process.pk])).json()
    tokens = []
    for i in range(10):
        response = client.post(
            reverse("api:consensus-panelists", args=[process.pk]),
            {"email": f"p{i}@example.org", "group_id": groups[0]["id"]},
            format="json",
        )
        assert response.status_code == 201, response.json()
        tokens.append(svc.panelist_token_issue(panelist=process.panelists.get(pk=response.json()["id"])))
    round1 = client.post(reverse("api:consensus-round-list", args=[process.pk]), {}, format="json").json()
    assert client.post(reverse("api:consensus-round-open", args=[round1["id"]])).status_code == 200
    items = client.get(reverse("api:consensus-round-detail", args=[round1["id"]])).json()["items"]
    for i, token in enumerate(tokens):
        panel = APIClient()
        panel.credentials(HTTP_AUTHORIZATION=f"Panelist {token}")
        assert panel.post(reverse("api:panel-consent"), {"consent": True}, format="json").status_code == 200
        ratings = [
            {"item_id": item["item_id"], "option_id": first_option if i < 7 else second_option}
            if item["kind"] == "alternatives"
            else {"item_id": item["item_id"], "score": 9}
            for item in items
        ]
        response = panel.put(
            reverse("api:panel-round", args=[1]), {"ratings": ratings, "complete": True}, format="json"
        )
        assert response.status_code == 200, response.json()
    assert client.post(reverse("api:consensus-round-close", args=[round1["id"]])).status_code == 200
    round_tally(round=process.rounds.get())
    results = client.get(reverse("api:consensus-round-results", args=[round1["id"]])).json()
    by_item = {r["item_id"]: r["results"][0] for r in results}
    assert by_item[instrument_item["id"]]["classification"] == "in"
    assert by_item[alternatives["id"]]["classification"] == "in"

    response = client.post(reverse("api:consensus-finalise", args=[process.pk]))
    assert response.status_code == 200, response.json()
    version = process.draft_version
    first = version.outcomes.get(name="Outcome 1")
    assert first.measurement_agreed is True
    assert list(first.measurements.values_list("instrument__acronym", "timing")) == [
        ("KCCQ-12", "Baseline and 12 months")
    ]
    second = version.outcomes.get(name="Outcome 2")
    assert (second.definition, second.definition_agreed, second.measurement_agreed) == (
        "As the patient reports it",
        True,
        True,
    )
    assert list(second.measurements.values_list("instrument__acronym", flat=True)) == ["MLHFQ"]
    assert first_option != second_option


def test_a_suggestion_that_sets_its_own_status_is_a_400_naming_it_and_stores_nothing(process, facilitator):
    member = add_member(process, "p@example.org")
    svc.round_open(round=svc.round_create(process=process, by=facilitator, allow_suggestions=True), by=facilitator)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    data = {"name": "Sleep", "status": "accepted"}
    response = client.post(reverse("api:panel-suggestions"), data, format="json")
    assert response.status_code == 400 and _fields(response) == {"status": ["This field is read-only."]}
    assert not process.rounds.get().suggestions.exists()
