"""Reviewed translations of outcome names and definitions travel in the FHIR export as the core `translation`
extension on the `_title` and `_description` elements; the elements keep the agreed English wording."""

from __future__ import annotations

import pytest
from django.utils import timezone

from outcomes import selectors
from outcomes.exports.fhir import EXT_TRANSLATION, bundle_validate, version_bundle
from outcomes.models import ContentTranslation
from tests.factories import OutcomeFactory
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db


def add(outcome, field: str, language: str, text: str, status: str = "reviewed") -> None:
    ContentTranslation.objects.create(
        outcome=outcome,
        field=field,
        language=language,
        text=text,
        status=status,
        reviewed_at=timezone.now() if status == "reviewed" else None,
    )


def test_translations_are_extensions_on_title_and_description_and_the_bundle_validates(reference_data):
    version = load("ichom-coronary-artery-disease", "1.0.1")
    angina = version.outcomes.get(name="Angina")
    add(angina, "name", "de", "Angina pectoris (Brustenge)")
    add(angina, "name", "es", "Angina de pecho")
    add(angina, "name", "fr", "Angor", status="draft")
    bundle = version_bundle(load("ichom-coronary-artery-disease", "1.0.1"))
    assert bundle_validate(bundle) == []
    ev = next(e["resource"] for e in bundle["entry"][1:] if e["resource"]["title"] == "Angina")
    translations = {
        {x["url"]: x for x in ext["extension"]}["lang"]["valueCode"]: {x["url"]: x for x in ext["extension"]}[
            "content"
        ]["valueString"]
        for ext in ev["_title"]["extension"]
    }
    assert translations == {"de": "Angina pectoris (Brustenge)", "es": "Angina de pecho"}
    assert {ext["url"] for ext in ev["_title"]["extension"]} == {EXT_TRANSLATION}
    # Angina has no definition: its description is its name, so the description carries the name's translations.
    assert ev["description"] == "Angina" and len(ev["_description"]["extension"]) == 2


def test_a_definition_translation_goes_on_the_description(reference_data):
    outcome = OutcomeFactory(name="Breathlessness", definition="Shortness of breath at rest or on effort")
    add(outcome, "name", "it", "Mancanza di fiato")
    add(outcome, "definition", "it", "Fiato corto a riposo o sotto sforzo")
    bundle = version_bundle(selectors.version_document_queryset().get(pk=outcome.version_id))
    assert bundle_validate(bundle) == []
    ev = bundle["entry"][1]["resource"]
    assert ev["description"] == "Shortness of breath at rest or on effort"
    (description,) = ev["_description"]["extension"]
    assert {x["url"]: x for x in description["extension"]}["content"]["valueString"] == (
        "Fiato corto a riposo o sotto sforzo"
    )


def test_an_outcome_without_reviewed_translations_has_no_translation_extension(reference_data):
    bundle = version_bundle(load("ichom-heart-failure", "1.0.0"))
    assert all("_title" not in e["resource"] for e in bundle["entry"][1:])
