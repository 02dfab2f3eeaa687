from __future__ import annotations

import csv
import io
import json

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("json", "application/json", "ichom-heart-failure-1.0.0.json.json"),
        ("csv", "text/csv; charset=utf-8", "ichom-heart-failure-1.0.0.csv.csv"),
        ("fhir", "application/fhir+json", "ichom-heart-failure-1.0.0.fhir.json"),
        ("redcap", "text/csv; charset=utf-8", "ichom-heart-failure-1.0.0.redcap.csv"),
        ("ctgov", "application/json", "ichom-heart-failure-1.0.0.ctgov.json"),
    ],
)
def test_each_export_downloads_with_its_type_filename_and_source(client, reference_data, fmt, content_type, filename):
    response = client.get(reverse("api:version-export", args=[HF, "1.0.0", fmt]))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    body = response.content.decode("utf-8")
    assert f"{settings.SITE_URL}/sets/{HF}/v/1.0.0/" in body  # every export traces back to its source
    assert "1.0.0" in body and "ICHOM Standard Set for heart failure" in body


def test_the_export_format_ignores_the_accept_header(client, reference_data):
    response = client.get(reverse("api:version-export", args=[HF, "latest", "csv"]), HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert next(csv.reader(io.StringIO(response.content.decode())))[0] == "set_slug"


def test_an_unknown_export_format_is_a_400_naming_the_format(client, reference_data):
    response = client.get(reverse("api:version-export", args=[HF, "latest", "xlsx"]))
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()["error"]["fields"]) == ["format"]


def test_an_export_of_an_unknown_version_is_a_404(client, reference_data):
    assert client.get(reverse("api:version-export", args=[HF, "3.0.0", "fhir"])).status_code == 404


def test_an_export_of_a_published_version_answers_a_conditional_get_with_304(client, reference_data):
    url = reverse("api:version-export", args=[HF, "1.0.0", "fhir"])
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=300, s-maxage=300, stale-while-revalidate=30"
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    other_format = client.get(reverse("api:version-export", args=[HF, "1.0.0", "csv"]))
    assert other_format["ETag"] != first["ETag"]


def test_a_draft_cannot_be_exported_anonymously_or_by_an_outsider(client, heart_failure_draft, outsider):
    url = reverse("api:version-export", args=[HF, "2.0.0", "fhir"])
    assert client.get(url).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_facilitator_exports_the_draft_marked_draft_and_uncached(client, heart_failure_draft, facilitator):
    client.force_login(facilitator)
    response = client.get(reverse("api:version-export", args=[HF, "2.0.0", "ctgov"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ichom-heart-failure-2.0.0-draft.ctgov.json"'
    assert response["Cache-Control"] == "private, no-store"
    assert json.loads(response.content)["source"]["draft"] is True
    fhir = json.loads(client.get(reverse("api:version-export", args=[HF, "2.0.0", "fhir"])).content)
    assert fhir["entry"][0]["resource"]["mode"] == "working"
    assert fhir["entry"][1]["resource"]["status"] == "draft"


def test_the_csv_export_of_a_draft_escapes_a_formula_in_an_outcome_name(client, heart_failure_draft, curator):
    client.force_login(curator)
    response = client.get(reverse("api:version-export", args=[HF, "2.0.0", "csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert rows[0]["outcome_name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["status"] == "draft"
