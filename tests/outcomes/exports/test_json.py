from __future__ import annotations

import orjson
import pytest
from django.urls import reverse

from outcomes.exports.json import version_document, version_json_bytes
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db


def test_the_json_export_is_the_document_the_api_returns(client, reference_data):
    version = load("ichom-dementia", "1.0.0")
    api = client.get(reverse("api:version-detail", args=["ichom-dementia", "1.0.0"])).json()
    assert orjson.loads(version_json_bytes(version)) == api


def test_the_document_names_its_format_set_version_status_and_canonical_url(reference_data):
    doc = version_document(load("ichom-dementia", "1.0.0"))
    assert doc["format"] == "cos-registry/version/1"
    assert doc["set"]["slug"] == "ichom-dementia" and doc["version"] == "1.0.0" and doc["status"] == "published"
    assert doc["canonical_url"].endswith("/sets/ichom-dementia/v/1.0.0/") and doc["draft"] is False
