"""GET /api/v1/search/: typed hits (instruments, outcomes, sets) with why they matched; public content only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.models import Instrument, Measurement
from outcomes.services.versions import version_draft_create
from tests.factories import OutcomeFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db


def search(client, q: str, **params) -> dict:
    response = client.get(reverse("api:search"), {"q": q, **params})
    assert response.status_code == 200, response.json()
    return response.json()


def hits(body: dict, kind: str) -> list[dict]:
    return [hit for hit in body["results"] if hit["kind"] == kind]


def test_an_instrument_acronym_leads_to_the_instrument_and_the_sets_that_measure_with_it(client, reference_data):
    body = search(client, "EQ-5D")
    (instrument,) = hits(body, "instrument")
    assert instrument["label"] == "EQ-5D"
    assert instrument["set_count"] >= 1
    assert instrument["url"].endswith(reverse("api:instrument-detail", args=["EQ-5D"]))
    sets = hits(body, "set")
    assert "ichom-dementia" in [hit["slug"] for hit in sets]
    dementia = next(hit for hit in sets if hit["slug"] == "ichom-dementia")
    assert {
        "field": "instrument",
        "text": "EQ-5D (EuroQol 5-dimension questionnaire)",
        "outcome": "Quality of life",
    } in (dementia["matched"])


def test_an_outcome_name_is_a_hit_listing_the_sets_that_hold_it(client, reference_data):
    body = search(client, "overall survival")
    outcome = next(hit for hit in hits(body, "outcome") if hit["label"] == "Overall survival")
    assert {ref["slug"] for ref in outcome["sets"]} == {
        "ichom-advanced-prostate-cancer",
        "importa-newly-diagnosed-multiple-myeloma",
    }
    assert outcome["set_count"] == 2


def test_hits_come_instruments_first_then_outcomes_then_ranked_sets(client, reference_data):
    kinds = [hit["kind"] for hit in search(client, "quality of life")["results"]]
    assert kinds == sorted(kinds, key=["instrument", "outcome", "set"].index)
    ranks = [hit["rank"] for hit in search(client, "quality of life")["results"] if hit["kind"] == "set"]
    assert ranks == sorted(ranks, reverse=True)


def test_a_typo_is_corrected_and_said_in_the_response(client, reference_data):
    body = search(client, "dimentia")
    assert body["showing_results_for"] == "dementia"
    assert hits(body, "set")[0]["slug"] == "ichom-dementia"
    assert search(client, "dementia")["showing_results_for"] is None


def test_a_drafts_content_is_never_a_hit(client, reference_data):
    published = version_with_content(outcomes=("Pain",))
    draft = version_draft_create(from_version=published)
    OutcomeFactory(version=draft, name="Quixotic outcome")
    body = search(client, "quixotic")
    assert body["results"] == [] and body["set_count"] == 0


def test_no_query_or_only_stop_words_gives_no_hits(client, reference_data):
    assert search(client, "")["results"] == []
    assert search(client, "of the")["set_count"] == 0


def test_limit_bounds_the_set_hits_and_a_bad_limit_is_a_400_naming_the_field(client, reference_data):
    body = search(client, "prostate", limit=1)
    assert len(hits(body, "set")) == 1 and body["set_count"] == 3
    response = client.get(reverse("api:search"), {"q": "prostate", "limit": 1000})
    assert response.status_code == 400
    assert "limit" in str(response.json())


def test_a_word_no_set_holds_is_left_out_and_named(client, reference_data):
    body = search(client, "heart failure in elderly patients")
    assert body["not_found"] == ["elderly"]
    assert hits(body, "set")[0]["slug"] == "ichom-heart-failure"
    assert search(client, "heart failure")["not_found"] == []


def test_a_query_mostly_of_words_no_set_holds_finds_nothing(client, reference_data):
    body = search(client, "xylophone glockenspiel dementia")
    assert body["results"] == [] and body["not_found"] == []


def test_prom_finds_the_patient_reported_instruments_and_the_sets_measuring_with_one(client, reference_data):
    body = search(client, "PROM")
    proms = set(Instrument.objects.filter(kind=Instrument.Kind.PROM).values_list("acronym", flat=True))
    instruments = hits(body, "instrument")
    assert {hit["label"] for hit in instruments} == proms
    assert all(
        {"field": "kind", "text": "Patient-reported outcome measure (PROM)", "outcome": ""} in hit["matched"]
        for hit in instruments
    )
    measuring = set(
        Measurement.objects.filter(instrument__kind=Instrument.Kind.PROM, outcome__version__status="published")
        .values_list("outcome__version__core_outcome_set__slug", flat=True)
        .distinct()
    )
    sets = hits(body, "set")
    assert {hit["slug"] for hit in sets} == measuring
    assert all({m["field"] for m in hit["matched"]} & {"instrument kind", "instrument"} for hit in sets)
    assert search(client, "patient-reported")["set_count"] == len(measuring)
