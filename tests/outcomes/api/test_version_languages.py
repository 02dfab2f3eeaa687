"""A published version's reviewed translations in the API: `?lang=` and Accept-Language choose the language of the
`localized` texts; the English wording stays the reference; Content-Language and Vary say what was chosen."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from outcomes.models import ContentTranslation, CoreOutcomeSetVersion

pytestmark = pytest.mark.django_db

SLUG, NUMBER = "ichom-heart-failure", "1.0.0"


def translate(outcome, language: str, name: str, *, status: str = "reviewed") -> ContentTranslation:
    return ContentTranslation.objects.create(
        outcome=outcome,
        field="name",
        language=language,
        text=name,
        status=status,
        reviewed_at=timezone.now() if status == "reviewed" else None,
    )


@pytest.fixture
def version(reference_data) -> CoreOutcomeSetVersion:
    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=SLUG, version=NUMBER)
    survival = version.outcomes.get(name="Survival")
    translate(survival, "de", "Überleben")
    translate(survival, "fr", "Survie", status="draft")  # a draft is never published
    cache.clear()
    return version


def url() -> str:
    return reverse("api:version-detail", args=[SLUG, NUMBER])


def survival(document: dict) -> dict:
    return next(o for o in document["outcomes"] if o["name"] == "Survival")


def test_the_document_lists_only_reviewed_translations_and_keeps_the_english_reference(version):
    response = APIClient().get(url())
    assert response["Content-Language"] == "en" and "Accept-Language" in response["Vary"]
    document = response.json()
    assert survival(document)["translations"] == {"de": {"name": "Überleben"}}
    assert "localized" not in survival(document) and "language" not in document


def test_lang_parameter_adds_the_localized_texts(version):
    response = APIClient().get(url(), {"lang": "de"})
    assert response.status_code == 200 and response["Content-Language"] == "de"
    document = response.json()
    assert document["language"] == "de"
    assert survival(document)["name"] == "Survival"  # the reference wording is unchanged
    assert survival(document)["localized"] == {
        "name": "Überleben",
        "name_language": "de",
        "definition": survival(document)["definition"],
        "definition_language": "en",
    }
    untranslated = next(o for o in document["outcomes"] if o["name"] == "Symptom burden")
    assert untranslated["localized"]["name"] == "Symptom burden"
    assert untranslated["localized"]["name_language"] == "en"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("de-CH, de;q=0.9, en;q=0.5", "de"),
        ("pt-BR, fr;q=0.8", "fr"),
        ("ja", "en"),
        ("*", "en"),
        ("", "en"),
    ],
)
def test_accept_language_picks_the_first_registry_language_the_client_accepts(version, header, language):
    response = APIClient().get(url(), HTTP_ACCEPT_LANGUAGE=header)
    assert response.status_code == 200 and response["Content-Language"] == language
    assert response.json().get("language", "en") == language


def test_the_lang_parameter_wins_over_accept_language(version):
    response = APIClient().get(url(), {"lang": "it"}, HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "it"
    assert survival(response.json())["localized"]["name_language"] == "en"  # no Italian translation


def test_an_unknown_lang_is_a_400_naming_the_parameter(version):
    response = APIClient().get(url(), {"lang": "klingon"})
    assert response.status_code == 400
    assert "lang" in response.json()["error"]["fields"]


def test_each_language_has_its_own_etag(version):
    client = APIClient()
    english, german = client.get(url()), client.get(url(), {"lang": "de"})
    assert english["ETag"] != german["ETag"]
    assert client.get(url(), {"lang": "de"}, HTTP_IF_NONE_MATCH=german["ETag"]).status_code == 304
    assert client.get(url(), HTTP_IF_NONE_MATCH=german["ETag"]).status_code == 200


def test_the_schema_documents_lang_and_accept_language(reference_data):
    schema = APIClient().get(reverse("schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/core-outcome-sets/{slug}/versions/{version}/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"lang", "Accept-Language"} <= names
