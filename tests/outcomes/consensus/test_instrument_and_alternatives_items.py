"""Instrument and alternatives items made on the candidates page and from a candidates CSV file (API and page),
rated on the panel page, tallied and finalised: the agreed instrument and the winning option reach the version."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from outcomes.models import Instrument, Item, ItemOption
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally

from .conftest import add_member, open_first_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def instruments(db) -> dict[str, Instrument]:
    return {
        acronym: Instrument.objects.get_or_create(acronym=acronym, defaults={"name": acronym, "kind": "PROM"})[0]
        for acronym in ("KCCQ-12", "MLHFQ")
    }


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel_client(member) -> Client:
    client = Client()
    assert client.get(reverse("panel:enter", args=[member.token])).status_code == 302
    return client


def _page_add(client, process, **data):
    fields = {"item-name": "", "item-definition": "", "item-domains": "", "item-kind": "outcome"}
    fields.update({f"item-{name}": value for name, value in data.items()})
    return client.post(reverse("facilitator:items", args=[process.pk]), fields)


# --- The candidates page ------------------------------------------------------------------------------------------


def test_instrument_and_alternatives_items_added_on_the_page_are_rated_on_the_panel_page_and_reach_the_version(
    process, facilitator, instruments
):
    client = logged_in(facilitator)
    outcome1, outcome2 = process.items.get(name="Outcome 1"), process.items.get(name="Outcome 2")
    response = _page_add(
        client,
        process,
        name="Measure Outcome 1 with the KCCQ-12",
        kind="instrument",
        outcome_item=outcome1.pk,
        instrument="KCCQ-12",
        timing="Baseline and 12 months",
    )
    assert response.status_code == 302, response.content.decode()
    response = _page_add(
        client,
        process,
        name="How to define Outcome 2",
        kind="alternatives",
        outcome_item=outcome2.pk,
        options=(
            "Patient-reported | As the patient reports it | MLHFQ\nClinician-assessed | As the clinician assesses it"
        ),
    )
    assert response.status_code == 302, response.content.decode()
    page = client.get(reverse("facilitator:items", args=[process.pk])).content.decode()
    assert "Instrument: KCCQ-12" in page and "Patient-reported: As the patient reports it (MLHFQ)" in page

    instrument_item = process.items.get(kind="instrument")
    alternatives = process.items.get(kind="alternatives")
    first, second = alternatives.options.order_by("order")
    assert (first.label, first.definition, first.instrument.acronym) == (
        "Patient-reported",
        "As the patient reports it",
        "MLHFQ",
    )
    assert (second.label, second.instrument) == ("Clinician-assessed", None)

    members = [add_member(process, f"m{i}@example.org") for i in range(10)]
    round1 = open_first_round(process, facilitator)
    for i, member in enumerate(members):
        answers = {f"score-{item_id}": "8" for item_id in round1.round_items.values_list("item_id", flat=True)}
        answers[f"score-{alternatives.pk}"] = str(first.pk if i < 7 else second.pk)
        response = panel_client(member).post(reverse("panel:round", args=[1]), {**answers, "action": "submit"})
        assert response.status_code == 302, response.content.decode()
    round_tally(round=svc.round_close(round=round1, by=facilitator))
    response = client.post(reverse("facilitator:finalise", args=[process.pk]))
    assert response.status_code == 302

    version = process.draft_version
    agreed = version.outcomes.get(name="Outcome 1")
    assert list(agreed.measurements.values_list("instrument__acronym", "timing")) == [
        ("KCCQ-12", "Baseline and 12 months")
    ]
    assert agreed.measurement_agreed is True
    defined = version.outcomes.get(name="Outcome 2")
    assert (defined.definition, defined.definition_agreed) == ("As the patient reports it", True)
    assert instrument_item.round_items.get().results.get(group__isnull=True).classification == "in"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "instrument", "instrument": "NOPE-1"}, "No instrument of the registry has the acronym"),
        ({"kind": "instrument"}, "An instrument item names an instrument of the registry"),
        ({"kind": "alternatives", "options": "Only one"}, "Alternatives need at least two options."),
        ({"kind": "alternatives", "options": "A\nB | b | NOPE-1"}, "No instrument of the registry has the acronym"),
        ({"kind": "outcome", "options": "A\nB"}, "Only alternatives items have options."),
    ],
)
def test_a_bad_instrument_or_alternatives_item_on_the_page_is_shown_and_stores_nothing(
    process, facilitator, instruments, data, message
):
    before = (Item.objects.count(), ItemOption.objects.count())
    outcome = process.items.get(name="Outcome 1")
    extra = {"outcome_item": outcome.pk} if data["kind"] != "outcome" else {"domains": "3"}
    response = _page_add(logged_in(facilitator), process, name="Detail", **extra, **data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Item.objects.count(), ItemOption.objects.count()) == before


# --- The candidates CSV file --------------------------------------------------------------------------------------

DETAIL_CSV = (
    b"name,definition,domains,kind,outcome_item,instrument,timing,"
    b"option 1,option 1 definition,option 1 instrument,option 2,option 2 definition,option 2 instrument\n"
    b"Fatigue,Tiredness,3,,,,,,,,,,\n"
    b"Measure fatigue with the KCCQ-12,,,instrument,Fatigue,KCCQ-12,At 6 months,,,,,,\n"
    b"How to define Outcome 1,,,alternatives,Outcome 1,,,Self-report,As reported,MLHFQ,Observed,As observed,\n"
)


def _import(client, process, content: bytes):
    upload = SimpleUploadedFile("c.csv", content, content_type="text/csv")
    return client.post(reverse("api:consensus-items-import", args=[process.pk]), {"file": upload}, format="multipart")


def test_a_csv_file_creates_outcomes_and_the_instrument_and_alternatives_items_about_them(
    api_client_for, process, facilitator, instruments
):
    response = _import(api_client_for(facilitator), process, DETAIL_CSV)
    assert response.status_code == 201, response.json()
    body = {item["name"]: item for item in response.json()}
    assert list(body) == ["Fatigue", "Measure fatigue with the KCCQ-12", "How to define Outcome 1"]
    fatigue = process.items.get(name="Fatigue", kind="outcome")
    instrument = body["Measure fatigue with the KCCQ-12"]
    assert (instrument["kind"], instrument["outcome_item"], instrument["instrument"], instrument["timing"]) == (
        "instrument",
        fatigue.pk,
        "KCCQ-12",
        "At 6 months",
    )
    alternatives = body["How to define Outcome 1"]
    assert alternatives["outcome_item"] == process.items.get(name="Outcome 1").pk
    assert [(o["label"], o["definition"], o["instrument"]) for o in alternatives["options"]] == [
        ("Self-report", "As reported", "MLHFQ"),
        ("Observed", "As observed", None),
    ]


def test_a_csv_file_with_bad_instrument_or_alternatives_rows_lists_each_by_line_and_imports_nothing(
    api_client_for, process, facilitator, instruments
):
    content = (
        b"name,domains,kind,outcome_item,instrument,option 1,option 2\n"
        b"Scale,,instrument,Outcome 1,NOPE-1,,\n"  # line 2: unknown acronym
        b"Scale 2,,instrument,Outcome 1,,,\n"  # line 3: no instrument
        b"Choose,,alternatives,Outcome 1,,Only one,\n"  # line 4: one option
        b"Choose 2,,alternatives,Nowhere,,A,B\n"  # line 5: not a candidate outcome
        b"Mood,4,,,KCCQ-12,,\n"  # line 6: an outcome names no instrument
        b"Thing,,gadget,Outcome 1,,,\n"  # line 7: unknown kind
        b"Mood 2,4,outcome,Outcome 1,,,\n"  # line 8: an outcome is about no other outcome
    )
    before = (Item.objects.count(), ItemOption.objects.count())
    response = _import(api_client_for(facilitator), process, content)
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["file"] == [
        "Line 2: 'NOPE-1' is not the acronym of an instrument of the registry.",
        "Line 3: an instrument item names an instrument of the registry (its acronym).",
        "Line 4: alternatives need at least two options.",
        "Line 5: 'Nowhere' is not a candidate outcome of this process or this file.",
        "Line 6: only instrument items name an instrument (options of alternatives may name one).",
        "Line 7: unknown kind of item.",
        "Line 8: a candidate outcome is about no other outcome; leave outcome_item empty.",
    ]
    assert (Item.objects.count(), ItemOption.objects.count()) == before


def test_the_candidates_page_imports_a_csv_file_with_instrument_and_alternatives_items(
    process, facilitator, instruments
):
    upload = SimpleUploadedFile("c.csv", DETAIL_CSV, content_type="text/csv")
    response = logged_in(facilitator).post(
        reverse("facilitator:items", args=[process.pk]), {"import": "1", "file": upload}
    )
    assert response.status_code == 302
    assert process.items.get(kind="instrument").instrument.acronym == "KCCQ-12"
    assert list(process.items.get(kind="alternatives").options.values_list("label", flat=True)) == [
        "Self-report",
        "Observed",
    ]
