"""The demo's published results (the results download and each round's results in the API) equal a recomputation
from its own ratings download, round by round."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import ConsensusProcess, Participation

from .oracle import ALL, Definition, recompute
from .test_reproducible import _cell

pytestmark = pytest.mark.django_db


def _csv(client: APIClient, name: str, pk: int) -> list[dict]:
    response = client.get(reverse(f"api:consensus-{name}-csv", args=[pk]))
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


def test_the_demo_results_of_every_tallied_round_recompute_from_its_ratings_download(reference_data):
    call_command("load_demo_data", stdout=io.StringIO())
    process = ConsensusProcess.objects.get(is_demo=True)
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username="demo-facilitator"))
    ratings = _csv(client, "ratings", process.pk)
    results = client.get(reverse("api:consensus-results", args=[process.pk])).json()
    published = {(int(r["round"]), int(r["round_item_id"]), r["group"]): r for r in _csv(client, "results", process.pk)}
    rounds = client.get(reverse("api:consensus-round-list", args=[process.pk])).json()
    tallied = {r["number"]: r for r in rounds if r["tallied_at"]}
    assert sorted(tallied) == [1, 2]
    round_items = {}
    api_results = {}  # what the facilitator reads per round: GET rounds/<id>/results/
    for number, round_ in tallied.items():
        for row in client.get(reverse("api:consensus-round-results", args=[round_["id"]])).json():
            round_items[(number, row["round_item_id"])] = (round_["kind"], row["kind"])
            for result in row["results"]:
                api_results[(number, row["round_item_id"], result["group"] or ALL)] = result
    groups = [g["name"] for g in client.get(reverse("api:consensus-groups", args=[process.pk])).json()]
    definition = Definition(**{k: v for k, v in results["definition"].items() if k != "definition_locked_at"})

    expected = recompute(ratings, definition, groups, round_items)
    assert set(expected) == set(published) == set(api_results)
    assert [{k: _cell(v) for k, v in row.items()} for row in results["results"]] == list(published.values())
    for key, figures in expected.items():
        for name, value in figures.items():
            assert published[key][name] == _cell(value), (key, name)
        api = api_results[key]
        assert (api["n"], api["n_unable"], api["pct_high"], api["classification"]) == (
            figures["n"],
            figures["n_unable"],
            figures["pct_7_9"],
            figures["classification"],
        ), key
        assert (api["median"], api["q1"], api["q3"], api["distribution"]) == (
            figures["median"],
            figures["q1"],
            figures["q3"],
            figures["distribution"],
        ), key
    # The demo has panelists who saved progress without submitting: the download holds only those who submitted.
    for number in (1, 2):
        submitted = tallied[number]["completed"]
        codes = {r["panelist_code"] for r in ratings if int(r["round"]) == number}
        assert len(codes) == submitted, number
        started = Participation.objects.filter(round__process=process, round__number=number, started_at__isnull=False)
        assert started.count() > submitted  # so the check above means something
    assert any(v["classification"] != "none" for k, v in expected.items() if k[2] == ALL)
