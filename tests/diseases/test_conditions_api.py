"""The conditions API: /api/v1/conditions/ and /api/v1/conditions/<slug>/ in the `api` namespace."""

from __future__ import annotations

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ConditionFactory, Icd10CodeFactory

pytestmark = pytest.mark.django_db


def make_conditions(n: int) -> None:
    for _ in range(n):
        parent = ConditionFactory()
        Icd10CodeFactory(condition=ConditionFactory(parent=parent, disease_area=parent.disease_area))


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(ctx)


def test_condition_routes_keep_their_names_and_paths():
    assert reverse("api:condition-list") == "/api/v1/conditions/"
    assert reverse("api:condition-detail", args=["heart-failure"]) == "/api/v1/conditions/heart-failure/"


def test_condition_detail_carries_icd10_and_snomed_codes(client, reference_data):
    response = client.get(reverse("api:condition-detail", args=["acute-coronary-syndrome"]))
    assert response.status_code == 200
    body = response.json()
    assert body["icd10"] == ["I20.0", "I21", "I22", "I24"]
    assert body["snomed_ct_id"] == "394659003"
    assert body["disease_area"] == "heart-disease"


def test_condition_list_names_each_conditions_parent_and_links_to_it(client):
    parent = ConditionFactory(slug="cardiac-failure")
    ConditionFactory(slug="acute-cardiac-failure", parent=parent, disease_area=parent.disease_area)
    body = client.get(reverse("api:condition-list"), {"page_size": 100}).json()
    child = next(row for row in body["results"] if row["slug"] == "acute-cardiac-failure")
    assert child["parent"] == "cardiac-failure"
    assert child["url"].endswith(reverse("api:condition-detail", args=["acute-cardiac-failure"]))


def test_an_unknown_condition_is_a_404_in_the_api_error_shape(client):
    response = client.get(reverse("api:condition-detail", args=["atlantis"]))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_condition_list_query_count_is_the_same_for_1_and_for_50_conditions(client):
    make_conditions(1)
    few = queries(client, reverse("api:condition-list"))
    make_conditions(49)
    assert queries(client, reverse("api:condition-list")) == few


def test_the_schema_documents_both_condition_operations_under_their_ids(client):
    schema = yaml.safe_load(client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi").content)
    assert schema["paths"]["/api/v1/conditions/"]["get"]["operationId"] == "conditions_list"
    detail = schema["paths"]["/api/v1/conditions/{slug}/"]["get"]
    assert detail["operationId"] == "conditions_retrieve"
    assert set(detail["responses"]) >= {"200", "404", "429"}
