"""Every public page issues a bounded number of queries, whatever the number of sets, outcomes and versions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diseases.models import Condition
from outcomes.models import CoreOutcomeSet, Instrument, OutcomeDomain
from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, MeasurementFactory, OutcomeFactory, VersionFactory

pytestmark = pytest.mark.django_db

# The most queries any public page may issue (session, auth and the page's own reads).
MAX_QUERIES = 16
BIG_SET = "big-set"

PAGES = [
    ("web:home", [], {}),
    ("web:disease-area", ["heart-disease"], {}),
    ("web:condition-detail", ["heart-failure"], {}),
    ("web:search", [], {}),
    ("web:search", [], {"q": "outcome", "domain": "3", "area": "heart-disease"}),
    ("web:set-detail", [BIG_SET], {}),
    ("web:domain-list", [], {}),
    ("web:domain-detail", [3], {}),
    ("web:instrument-list", [], {}),
    ("web:instrument-detail", ["EQ-5D"], {}),
    ("web:compare", [], {"a": BIG_SET, "b": "ichom-heart-failure"}),
    ("web:compare", [], {"a": BIG_SET, "b": "no-such-set"}),
]


def add_version(cos: CoreOutcomeSet, *, version: str, outcomes: int) -> None:
    """A published version whose outcomes sit in three domains and are measured with EQ-5D."""
    domains = list(OutcomeDomain.objects.filter(number__in=[1, 3, 25]))
    eq5d = Instrument.objects.get(acronym="EQ-5D")
    draft = VersionFactory(core_outcome_set=cos, version=version)
    for _ in range(outcomes):
        MeasurementFactory(outcome=OutcomeFactory(version=draft, domains=domains), instrument=eq5d)
    version_publish(version=draft)


def add_heart_failure_sets(count: int, *, outcomes: int) -> None:
    condition = Condition.objects.select_related("disease_area").get(slug="heart-failure")
    for _ in range(count):
        cos = CoreOutcomeSetFactory(disease_area=condition.disease_area)
        cos.conditions.add(condition)
        add_version(cos, version="1.0.0", outcomes=outcomes)


@pytest.mark.parametrize(("name", "args", "params"), PAGES)
def test_public_page_query_count_is_bounded_and_does_not_grow_with_the_data(
    client, reference_data, django_assert_max_num_queries, name, args, params
):
    url = reverse(name, args=args)
    big = CoreOutcomeSetFactory(slug=BIG_SET, disease_area__slug="big-area")
    add_version(big, version="1.0.0", outcomes=1)
    add_heart_failure_sets(1, outcomes=1)
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        assert client.get(url, params).status_code in (200, 400)

    for n in range(2, 5):
        add_version(big, version=f"{n}.0.0", outcomes=12)
    add_heart_failure_sets(15, outcomes=5)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url, params).status_code in (200, 400)


PAGINATED = [
    ("web:disease-area", ["heart-disease"], {"page": "2"}),
    ("web:condition-detail", ["heart-failure"], {"page": "2"}),
    ("web:search", [], {"page": "2"}),
    ("web:search", [], {"q": "outcome", "domain": "3", "area": "heart-disease", "page": "2"}),
    ("web:search", [], {"q": "heart", "status": "published", "year": "2024", "condition": "heart-failure"}),
    ("web:domain-detail", [3], {"page": "2"}),
    ("web:instrument-detail", ["EQ-5D"], {"page": "2"}),
    ("web:domain-list", [], {}),
    ("web:instrument-list", [], {}),
]


@pytest.mark.parametrize(("name", "args", "params"), PAGINATED)
def test_a_paginated_page_issues_as_many_queries_at_three_pages_of_sets_as_at_one(
    client, reference_data, django_assert_max_num_queries, name, args, params
):
    url = reverse(name, args=args)
    add_heart_failure_sets(2, outcomes=1)
    with django_assert_max_num_queries(MAX_QUERIES) as small:
        assert client.get(url, params).status_code == 200

    add_heart_failure_sets(45, outcomes=2)  # 48 heart failure sets: page 2 is full, and there is a page 3
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url, params)
    assert response.status_code == 200
    if "page_obj" in response.context:
        assert response.context["page_obj"].paginator.count > 2 * 20 or "q" in params
