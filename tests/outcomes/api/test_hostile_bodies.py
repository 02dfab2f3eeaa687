"""Hostile request bodies and query values under /api/ are a 4xx in the API's error shape, never a 500 or Django's
HTML 400: JSON nested too deep, bodies over DATA_UPLOAD_MAX_MEMORY_SIZE, too many form fields, page numbers that
int() refuses. (The consensus endpoints: tests/outcomes/consensus/test_hostile_input.py.)"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from outcomes.models import RegistryDump

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000


def assert_api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    return error


def test_json_nested_100000_deep_is_a_400_in_the_api_error_shape(client, outsider):
    client.force_login(outsider)
    response = client.post(reverse("api:dump-list"), DEEP, content_type="application/json")
    error = assert_api_error(response, 400)
    assert "nested too deeply" in error["message"]
    assert not RegistryDump.objects.exists()


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("application/json", json.dumps({"format": "fhir", "padding": "x" * 5000}).encode()),
        ("application/x-www-form-urlencoded", b"format=fhir&padding=" + b"x" * 5000),
    ],
    ids=["json", "form"],
)
def test_a_body_over_the_size_limit_is_a_413_in_the_api_error_shape(client, outsider, settings, content_type, body):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(outsider)
    response = client.post(reverse("api:dump-list"), body, content_type=content_type)
    error = assert_api_error(response, 413)
    assert error["code"] == "too_large" and "1000 bytes" in error["message"]
    assert not RegistryDump.objects.exists()


def test_a_multipart_field_over_the_size_limit_is_a_413_in_the_api_error_shape(client, outsider, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(outsider)
    response = client.post(reverse("api:dump-list"), {"format": "fhir", "padding": "x" * 5000})  # multipart
    assert assert_api_error(response, 413)["code"] == "too_large"
    assert not RegistryDump.objects.exists()


def test_too_many_form_fields_is_a_400_in_the_api_error_shape(client, outsider, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client.force_login(outsider)
    body = "&".join(f"f{i}=1" for i in range(50))
    response = client.post(reverse("api:dump-list"), body, content_type="application/x-www-form-urlencoded")
    assert assert_api_error(response, 400)["code"] == "bad_request"


def test_a_body_over_the_size_limit_outside_the_api_keeps_djangos_400_page(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client.post(reverse("login"), {"username": "x" * 5000, "password": "y"})
    assert response.status_code == 400 and not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("raw", ["²", "", "abc", "1\u0661x"])
def test_a_page_number_that_int_refuses_is_a_400_naming_it(client, reference_data, raw):
    error = assert_api_error(client.get(reverse("api:cos-list"), {"page": raw}), 400)
    assert list(error["fields"]) == ["page"]
