"""The query count of list and detail endpoints does not grow with the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes.models import OutcomeDomain
from outcomes.services.versions import version_publish
from tests.factories import (
    ConditionFactory,
    CoreOutcomeSetFactory,
    Icd10CodeFactory,
    MeasurementFactory,
    OutcomeFactory,
    ReferenceFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db


def queries(client, url: str, params: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200, response.content
    return len(ctx)


def make_sets(n: int) -> None:
    for _ in range(n):
        cos = CoreOutcomeSetFactory()
        condition = ConditionFactory()
        Icd10CodeFactory(condition=condition)
        cos.conditions.add(condition)
        version = VersionFactory(core_outcome_set=cos)
        MeasurementFactory(outcome=OutcomeFactory(version=version))
        version_publish(version=version, by=None)


def make_version(outcomes: int):
    version = VersionFactory()
    domains = list(OutcomeDomain.objects.all()[:3])
    for k in range(outcomes):
        outcome = OutcomeFactory(version=version, domains=domains, order=k)
        MeasurementFactory(outcome=outcome)
        MeasurementFactory(outcome=outcome, instrument=None)
    ReferenceFactory.create_batch(3, version=version)
    version_publish(version=version, by=None)
    return version


@pytest.mark.parametrize("route", ["api:cos-list", "api:disease-area-list"])
def test_list_query_count_is_the_same_for_1_and_for_50_sets(client, reference_data, route):
    make_sets(1)
    few = queries(client, reverse(route), {"page_size": 100})
    make_sets(49)
    many = queries(client, reverse(route), {"page_size": 100})
    assert few == many


def test_set_list_with_filters_has_a_constant_query_count(client, reference_data):
    make_sets(1)
    params = {"page_size": 100, "q": "set", "published_after": "2000-01-01", "ordering": "-published"}
    few = queries(client, reverse("api:cos-list"), params)
    make_sets(49)
    assert queries(client, reverse("api:cos-list"), params) == few


def test_set_detail_query_count_does_not_grow_with_versions(client, reference_data):
    cos = CoreOutcomeSetFactory()
    for k in range(1, 3):
        VersionFactory(core_outcome_set=cos, version=f"{k}.0.0", status="superseded")
    few = queries(client, reverse("api:cos-detail", args=[cos.slug]))
    for k in range(3, 30):
        VersionFactory(core_outcome_set=cos, version=f"{k}.0.0", status="superseded")
    assert queries(client, reverse("api:cos-detail", args=[cos.slug])) == few


@pytest.mark.parametrize("route", ["api:version-detail", "api:version-export"])
def test_version_query_count_is_the_same_for_5_and_for_100_outcomes(client, reference_data, route, settings):
    small, large = make_version(5), make_version(100)

    def count(version) -> int:
        args = [version.core_outcome_set.slug, version.version]
        url = reverse(route, args=[*args, "fhir"] if route == "api:version-export" else args)
        return queries(client, url)

    assert count(small) == count(large)


def test_version_list_query_count_does_not_grow_with_versions(client, reference_data):
    cos = CoreOutcomeSetFactory()
    VersionFactory(core_outcome_set=cos, version="1.0.0", status="superseded")
    few = queries(client, reverse("api:version-list", args=[cos.slug]))
    for k in range(2, 40):
        VersionFactory(core_outcome_set=cos, version=f"{k}.0.0", status="superseded")
    assert queries(client, reverse("api:version-list", args=[cos.slug])) == few
