"""The relevance set (relevance.yaml) through the search page, the set list API's `q` and the search API: the same
engine, so the same sets, on whichever database the suite runs on (SQLite by default, PostgreSQL with
DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.urls import reverse

CASES = yaml.safe_load((Path(__file__).parent / "relevance.yaml").read_text(encoding="utf-8"))


def page_results(client, q: str) -> tuple[list[str], str | None]:
    response = client.get(reverse("web:search"), {"q": q})
    assert response.status_code == 200
    return [result.cos.slug for result in response.context["results"]], response.context["showing_results_for"]


def set_list_results(client, q: str) -> tuple[list[str], None]:
    response = client.get(reverse("api:cos-list"), {"q": q, "page_size": 100})
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]], None


def search_api_results(client, q: str) -> tuple[list[str], str | None]:
    response = client.get(reverse("api:search"), {"q": q, "limit": 100})
    assert response.status_code == 200, response.json()
    body = response.json()
    return [hit["slug"] for hit in body["results"] if hit["kind"] == "set"], body["showing_results_for"]


CHANNELS = {"page": page_results, "set list api": set_list_results, "search api": search_api_results}


def test_the_relevance_set_has_at_least_forty_queries_including_the_issues_own():
    queries = {case["q"] for case in CASES}
    assert len(queries) >= 40
    issue = {"leukemia", "leukaemia", "Alzheimers", "alzheimer", "HF", "I50", "heart", "EQ-5D", "cognition"}
    assert issue | {"dimentia", "prostrate"} <= queries


@pytest.mark.django_db
@pytest.mark.parametrize("channel", list(CHANNELS))
@pytest.mark.parametrize("case", CASES, ids=[case["q"] for case in CASES])
def test_a_relevance_query_finds_the_sets_it_must(client, reference_data, case, channel):
    found, corrected = CHANNELS[channel](client, case["q"])
    if case.get("none"):
        assert found == []
        return
    assert set(case["must"]) <= set(found), found
    assert not set(case.get("not", [])) & set(found), found
    if "first" in case:
        assert found[0] == case["first"], found
    if "corrected" in case and channel != "set list api":
        assert corrected == case["corrected"]
