from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


def test_disease_areas_are_listed_with_counts_and_links(client, reference_data):
    response = client.get(reverse("api:disease-area-list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    heart = next(a for a in body["results"] if a["slug"] == "heart-disease")
    assert heart["set_count"] == 3 and heart["condition_count"] == 4
    assert heart["url"].endswith(reverse("api:disease-area-detail", args=["heart-disease"]))


def test_outcome_domains_are_the_38_comet_domains_and_one_is_found_by_number(client, reference_data):
    assert client.get(reverse("api:outcome-domain-list"), {"page_size": 100}).json()["count"] == 38
    response = client.get(reverse("api:outcome-domain-detail", args=[1]))
    assert response.json()["name"] == "Mortality/survival"
    assert response.json()["core_area"] == "death"


def test_instrument_is_found_by_an_acronym_with_spaces(client, reference_data):
    response = client.get(reverse("api:instrument-detail", args=["Rose Dyspnea Scale"]))
    assert response.status_code == 200
    assert response.json()["kind"] == "PROM"


def test_set_list_is_paginated_with_count_next_and_previous(client, reference_data):
    first = client.get(reverse("api:cos-list"), {"page_size": 5}).json()
    assert first["count"] == 11 and len(first["results"]) == 5
    assert first["previous"] is None and "page=2" in first["next"]
    last = client.get(reverse("api:cos-list"), {"page_size": 5, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None and last["previous"]


def test_page_size_is_at_most_100_and_more_is_a_400(client, reference_data):
    from tests.factories import CoreOutcomeSetFactory

    CoreOutcomeSetFactory.create_batch(100)
    body = client.get(reverse("api:cos-list"), {"page_size": 100}).json()
    assert len(body["results"]) == 100 and body["next"]
    response = client.get(reverse("api:cos-list"), {"page_size": 101})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["page_size"]


def test_set_detail_shows_scope_conditions_and_public_versions(client, reference_data):
    response = client.get(reverse("api:cos-detail", args=["localised-prostate-cancer-compacters"]))
    body = response.json()
    assert response.status_code == 200
    assert [v["version"] for v in body["versions"]] == ["1.1.0", "1.0.0"]
    assert body["current_version"]["version"] == "1.1.0"
    assert body["current_version"]["status"] == "published"
    assert body["conditions"][0]["icd10"] == ["C61"]
    assert body["outcome_count"] == 19


def test_unknown_set_is_a_404_in_the_error_shape(client, reference_data):
    response = client.get(reverse("api:cos-detail", args=["no-such-set"]))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["status"] == 404 and error["code"] == "not_found" and "no-such-set" in error["message"]
    assert error["fields"] == {}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"disease_area": "heart-disease"},
            ["ichom-atrial-fibrillation", "ichom-coronary-artery-disease", "ichom-heart-failure"],
        ),
        ({"condition": "heart-failure"}, ["ichom-heart-failure"]),
        ({"icd10": "I50"}, ["ichom-heart-failure"]),
        ({"icd10": "i2"}, ["ichom-coronary-artery-disease"]),
        ({"icd10": "C92.0"}, ["harmony-acute-myeloid-leukaemia"]),
        ({"snomed": "84114007"}, ["ichom-heart-failure"]),
        ({"q": "atrial"}, ["ichom-atrial-fibrillation"]),
        ({"q": "erectile", "disease_area": "prostate-cancer"}, ["ichom-advanced-prostate-cancer"]),
        ({"status": "superseded"}, ["ichom-coronary-artery-disease", "localised-prostate-cancer-compacters"]),
        (
            {"published_after": "2022-01-01", "disease_area": "hematologic-malignancies"},
            ["harmony-acute-myeloid-leukaemia"],
        ),
        (
            {"published_before": "2015-12-31", "disease_area": "prostate-cancer"},
            ["ichom-advanced-prostate-cancer", "ichom-localized-prostate-cancer"],
        ),
    ],
)
def test_set_filters_select_the_matching_sets(client, reference_data, params, expected):
    response = client.get(reverse("api:cos-list"), {**params, "ordering": "slug"})
    assert response.status_code == 200, response.json()
    assert slugs(response) == expected


def test_icd10_prefix_i50_matches_a_condition_coded_i50_9(client, reference_data):
    from diseases.models import Icd10Code
    from tests.factories import ConditionFactory, CoreOutcomeSetFactory

    condition = ConditionFactory()
    Icd10Code.objects.create(condition=condition, code="I50.9")
    cos = CoreOutcomeSetFactory(slug="hf-unspecified")
    cos.conditions.add(condition)
    assert "hf-unspecified" in slugs(client.get(reverse("api:cos-list"), {"icd10": "I50"}))
    assert "hf-unspecified" not in slugs(client.get(reverse("api:cos-list"), {"icd10": "I50.1"}))


def test_domain_filter_finds_sets_with_an_outcome_in_that_domain(client, reference_data):
    found = slugs(client.get(reverse("api:cos-list"), {"domain": 20, "ordering": "slug"}))
    assert "ichom-advanced-prostate-cancer" in found and "ichom-heart-failure" not in found


def test_ordering_by_publication_date_descending(client, reference_data):
    found = slugs(client.get(reverse("api:cos-list"), {"ordering": "-published", "disease_area": "heart-disease"}))
    # Atrial fibrillation and heart failure were both published in 2020 (a tie, broken by slug), coronary artery
    # disease in 2015; the same order on PostgreSQL and SQLite.
    assert found == ["ichom-atrial-fibrillation", "ichom-heart-failure", "ichom-coronary-artery-disease"]
    oldest_first = slugs(
        client.get(reverse("api:cos-list"), {"ordering": "published", "disease_area": "heart-disease"})
    )
    assert oldest_first == ["ichom-coronary-artery-disease", "ichom-atrial-fibrillation", "ichom-heart-failure"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"domain": "99"}, "domain"),
        ({"domain": "abc"}, "domain"),
        ({"status": "foo"}, "status"),
        ({"status": "draft"}, "status"),
        ({"published_after": "2020-13-45"}, "published_after"),
        ({"published_before": "yesterday"}, "published_before"),
        ({"disease_area": "atlantis"}, "disease_area"),
        ({"condition": "nope"}, "condition"),
        ({"icd10": "50I"}, "icd10"),
        ({"icd10": "%"}, "icd10"),
        ({"snomed": "%s%d"}, "snomed"),
        ({"snomed": "12ab"}, "snomed"),
        ({"ordering": "colour"}, "ordering"),
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "-3"}, "page_size"),
    ],
)
def test_unknown_or_malformed_filter_values_are_a_400_naming_the_field(client, reference_data, params, field):
    response = client.get(reverse("api:cos-list"), params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400 and error["code"] == "invalid"
    assert list(error["fields"]) == [field] and error["fields"][field][0]
    assert field in error["message"]


@pytest.mark.parametrize(
    "name",
    ["disease_area", "condition", "icd10", "snomed", "domain", "status", "published_after", "published_before", "q",
     "ordering", "page", "page_size"],
)  # fmt: skip
@pytest.mark.parametrize("value", ["", " "])
def test_a_filter_given_without_a_value_is_a_400_naming_it(client, reference_data, name, value):
    response = client.get(reverse("api:cos-list"), {name: value})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [name]


def test_a_page_past_the_last_is_a_404(client, reference_data):
    response = client.get(reverse("api:cos-list"), {"page": 99})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_reads_are_throttled_with_a_429_in_the_error_shape(
    client, reference_data, monkeypatch, rate_limit_clock
):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    url = reverse("api:outcome-domain-list")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    response = client.get(url)
    assert response.json()["error"]["code"] == "throttled"
    assert "Retry-After" in response.headers


def test_authenticated_reads_are_not_throttled_as_anonymous(client, reference_data, outsider, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    client.force_login(outsider)
    url = reverse("api:outcome-domain-list")
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]


def test_browsable_api_renders_html_for_a_browser(client, reference_data):
    response = client.get(reverse("api:cos-list"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "ICHOM Standard Set for heart failure" in response.content.decode()


def test_nested_field_errors_are_keyed_by_their_dotted_path():
    from rest_framework import exceptions

    from outcomes.api.errors import api_exception_handler

    exc = exceptions.ValidationError({"ratings": [{}, {"score": ["Must be 1 to 9."]}], "round": ["Closed."]})
    body = api_exception_handler(exc, {}).data["error"]
    assert body["fields"] == {"ratings.1.score": ["Must be 1 to 9."], "round": ["Closed."]}
    assert body["status"] == 400 and body["code"] == "invalid"


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"path": "/api/v1/instruments/%00/"},
        {"path": "/api/v1/core-outcome-sets/", "data": {"q": "a\x00b"}},
    ],
)
def test_a_nul_character_is_a_400_before_it_reaches_the_database(client, reference_data, request_kwargs):
    kwargs = dict(request_kwargs)
    response = client.get(kwargs.pop("path"), **kwargs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
