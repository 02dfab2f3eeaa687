"""A search's answer is kept for the search generation: asked again, it is not searched again; a publication, a
withdrawal or a change of a set's conditions changes the answer at once; nothing personal is kept with it."""

from __future__ import annotations

import time
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cos_registry.db_router import reads_from
from diseases.models import Condition, DiseaseArea
from outcomes.search.generation import KEY as GENERATION_KEY
from outcomes.search.generation import remembered_answer, search_generation_bump
from outcomes.services.versions import version_withdraw
from tests.factories import UserFactory
from tests.outcomes.builders import add_sets

pytestmark = pytest.mark.django_db


def api_slugs(client, q: str) -> list[str]:
    response = client.get(reverse("api:search"), {"q": q})
    assert response.status_code == 200
    return [hit["slug"] for hit in response.json()["results"] if hit["kind"] == "set"]


def page(client, q: str) -> str:
    response = client.get(reverse("web:search"), {"q": q})
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def heart_disease(reference_data) -> DiseaseArea:
    return DiseaseArea.objects.get(slug="heart-disease")


@pytest.mark.parametrize("path", ["api:search", "web:search"])
def test_the_same_search_asked_again_is_answered_without_searching(
    client, reference_data, path, django_assert_num_queries
):
    first = client.get(reverse(path), {"q": "heart failure"})
    assert first.status_code == 200
    with django_assert_num_queries(0):
        again = client.get(reverse(path), {"q": "heart failure"})
    assert again.content == first.content
    assert b"ichom-heart-failure" in again.content


def test_with_the_answers_not_kept_every_search_is_searched(client, reference_data, settings):
    settings.SEARCH_RESULTS_CACHE_SECONDS = 0
    client.get(reverse("api:search"), {"q": "heart failure"})
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("api:search"), {"q": "heart failure"})
    assert len(queries) >= 1


def test_a_publication_and_a_withdrawal_change_the_kept_answer_at_once(client, heart_disease):
    assert api_slugs(client, "Zyxwv") == []
    assert "Zyxwv set 01" not in page(client, "Zyxwv")
    [cos] = add_sets(1, area=heart_disease, title="Zyxwv set")
    assert api_slugs(client, "Zyxwv") == [cos.slug]
    assert "Zyxwv set 01" in page(client, "Zyxwv")
    assert "badge-withdrawn" not in page(client, "Zyxwv")
    version_withdraw(version=cos.versions.get(), reason="Superseded by a better set")
    assert "badge-withdrawn" in page(client, "Zyxwv")  # a withdrawn set is still found, marked withdrawn


def test_a_sets_conditions_are_searched_as_they_are_now_whichever_side_changes_them(client, heart_disease):
    [cos] = add_sets(1, area=heart_disease, title="Zyxwv set")
    cardiomyopathy = Condition.objects.create(
        name="Quetzal cardiomyopathy (synthetic)", slug="quetzal-cardiomyopathy", disease_area=heart_disease
    )
    assert cos.slug not in api_slugs(client, "quetzal")
    cos.conditions.add(cardiomyopathy)
    assert cos.slug in api_slugs(client, "quetzal")
    cardiomyopathy.core_outcome_sets.remove(cos)
    assert cos.slug not in api_slugs(client, "quetzal")
    cardiomyopathy.core_outcome_sets.add(cos)
    cardiomyopathy.core_outcome_sets.clear()
    assert cos.slug not in api_slugs(client, "quetzal")
    cos.conditions.add(cardiomyopathy)
    cardiomyopathy.name = "Xochitl cardiomyopathy (synthetic)"
    cardiomyopathy.save()
    assert cos.slug in api_slugs(client, "xochitl")
    assert cos.slug not in api_slugs(client, "quetzal")


def test_a_kept_page_carries_nobody_elses_header(client, reference_data):
    user = UserFactory(username="kept-page-reader")
    client.force_login(user)
    signed_in = page(client, "heart failure")
    assert "kept-page-reader" in signed_in
    client.logout()
    anonymous = page(client, "heart failure")
    assert "kept-page-reader" not in anonymous
    assert "ichom-heart-failure" in anonymous


def test_an_answer_computed_on_a_replica_is_kept_only_once_the_replica_must_hold_the_generation(settings):
    """A replica may lag the primary by up to DATABASE_REPLICA_MAX_LAG_SECONDS: an answer computed there sooner
    after a change could be the answer from before it."""
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 10
    computed: list[int] = []

    def compute() -> int:
        computed.append(1)
        return len(computed)

    search_generation_bump()
    with reads_from("replica_1"):
        assert remembered_answer("api", ("q",), compute) == 1
        assert remembered_answer("api", ("q",), compute) == 2  # computed again: not kept
    assert remembered_answer("api", ("q",), compute) == 3  # on the primary: kept at once
    assert remembered_answer("api", ("q",), compute) == 3
    cache.set(GENERATION_KEY, f"{uuid.uuid4().hex}-{time.time() - 11:.3f}", None)  # began 11 s ago
    with reads_from("replica_1"):
        assert remembered_answer("api", ("q",), compute) == 4
        assert remembered_answer("api", ("q",), compute) == 4  # kept: the replica holds everything of it


def test_a_renamed_disease_area_is_searched_by_its_new_name(client, heart_disease):
    [cos] = add_sets(1, area=heart_disease, title="Zyxwv set")
    assert cos.slug not in api_slugs(client, "Quetzalcardia")
    heart_disease.name = "Quetzalcardia (synthetic)"
    heart_disease.save()
    assert cos.slug in api_slugs(client, "Quetzalcardia")
