from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.exports.trials import ready_paragraph, research_study, research_study_validate
from outcomes.models import AuditEvent, CoreOutcomeSetVersion, SearchSynonym, TrialAdoption, WebhookDelivery
from outcomes.selectors import version_queryset
from outcomes.services.trials import adoption_declare, adoption_reject, adoption_verify, trial_check_create
from outcomes.services.versions import version_withdraw
from outcomes.trials.inputs import ParsedTrial, trial_id_parse
from outcomes.trials.matching import TrialOutcome
from tests.factories import CuratorFactory, OutsiderFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def _version(slug: str = "ichom-heart-failure", version: str = "1.0.0") -> CoreOutcomeSetVersion:
    return version_queryset().get(core_outcome_set__slug=slug, version=version)


def _trial(*measures: str) -> ParsedTrial:
    return ParsedTrial([TrialOutcome(m) for m in measures])


def test_a_check_against_a_version_without_recorded_outcomes_is_refused():
    with pytest.raises(ValidationError, match="not recorded"):
        trial_check_create(version=_version("harmony-multiple-myeloma"), trial=_trial("OS"), source="lines")


def test_the_curators_synonyms_are_used_by_the_check():
    version = _version()
    before = trial_check_create(version=version, trial=_trial("Vital status"), source="lines")
    SearchSynonym.objects.create(term="vital status", expansions="survival")
    after = trial_check_create(version=version, trial=_trial("Vital status"), source="lines")
    survival = lambda check: next(v for v in check.verdicts if v["name"] == "Survival")  # noqa: E731
    assert survival(before)["verdict"] != "measured"
    assert (survival(after)["verdict"], survival(after)["reason"]) == ("measured", "synonym")


def test_a_declaration_of_a_withdrawn_version_is_refused():
    version = version_withdraw(version=_version(), reason="Transcription error (synthetic test)", by=CuratorFactory())
    with pytest.raises(ValidationError, match="published"):
        adoption_declare(version=version, registry_id="NCT12345678", by=OutsiderFactory())


def test_a_check_of_another_version_cannot_be_attached_to_a_declaration():
    check = trial_check_create(version=_version("ichom-dementia"), trial=_trial("MMSE"), source="lines")
    with pytest.raises(ValidationError, match="another set version"):
        adoption_declare(version=_version(), registry_id="NCT12345678", by=OutsiderFactory(), check=check)


def test_the_same_trial_may_declare_two_versions_but_not_one_twice():
    user = OutsiderFactory()
    for version in ("1.0.0", "1.1.0"):
        adoption_declare(
            version=_version("localised-prostate-cancer-compacters", version), registry_id="NCT12345678", by=user
        )
    with pytest.raises(ValidationError, match="already declared"):
        adoption_declare(
            version=_version("localised-prostate-cancer-compacters", "1.1.0"), registry_id="nct 12345678", by=user
        )


def test_the_database_refuses_a_second_declaration_of_one_trial_and_version():
    adoption = adoption_declare(version=_version(), registry_id="NCT12345678", by=OutsiderFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        TrialAdoption.objects.create(registry="nct", registry_id="NCT12345678", version=adoption.version)


def test_only_curators_decide_and_a_decision_is_final():
    adoption = adoption_declare(version=_version(), registry_id="NCT12345678", by=OutsiderFactory())
    with pytest.raises(PermissionDenied):
        adoption_verify(adoption=adoption, by=OutsiderFactory(username="someone-else"))
    curator = CuratorFactory()
    adoption_verify(adoption=adoption, by=curator)
    with pytest.raises(ValidationError, match="already verified"):
        adoption_reject(adoption=adoption, by=curator, reason="Changed my mind")


def test_declaring_verifying_and_rejecting_are_audited_with_the_set():
    version = _version()
    curator = CuratorFactory()
    first = adoption_declare(version=version, registry_id="NCT12345678", by=OutsiderFactory())
    second = adoption_declare(version=version, registry_id="ISRCTN12345678", by=OutsiderFactory())
    adoption_verify(adoption=first, by=curator)
    adoption_reject(adoption=second, by=curator, reason="No quality-of-life outcome")
    events = AuditEvent.objects.filter(object_type="outcomes.trialadoption").order_by("id")
    assert [e.action for e in events] == ["adoption.declare", "adoption.declare", "adoption.verify", "adoption.reject"]
    assert {e.core_outcome_set_id for e in events} == {version.core_outcome_set_id}
    assert events.last().after["reason"] == "No quality-of-life outcome"


def test_a_verified_adoption_calls_the_webhooks_that_chose_it_with_the_trial_but_not_who_declared_it():
    version = _version()
    chose_it = WebhookEndpointFactory(events=["adoption.verified"])
    WebhookEndpointFactory(events=["version.published"])
    declarer = OutsiderFactory(username="declarer", email="declarer@example.org")
    adoption = adoption_declare(version=version, registry_id="ISRCTN12345678", by=declarer)
    assert not WebhookDelivery.objects.exists()  # a declaration alone announces nothing
    adoption_verify(adoption=adoption, by=CuratorFactory())
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint_id == chose_it.pk
    assert delivery.event_type == "adoption.verified"
    data = delivery.payload["data"]
    assert data["adoption"]["registry_id"] == "ISRCTN12345678"
    assert data["adoption"]["registry"] == "isrctn"
    assert data["version"]["number"] == version.version
    assert data["core_outcome_set"]["slug"] == version.core_outcome_set.slug
    assert "declarer" not in json.dumps(delivery.payload)


def test_a_rejected_adoption_calls_no_webhook():
    WebhookEndpointFactory(events=["adoption.verified"])
    adoption = adoption_declare(version=_version(), registry_id="NCT12345678", by=OutsiderFactory())
    adoption_reject(adoption=adoption, by=CuratorFactory(), reason="No survival outcome")
    assert not WebhookDelivery.objects.exists()


def test_the_paragraph_names_the_set_version_its_permanent_address_and_its_reference():
    text = ready_paragraph(_version(), measured_all=True)
    assert "ICHOM Standard Set for heart failure, version 1.0.0" in text
    assert "Burns DJP, et al. JACC Heart Fail 2020;8(3):212-222" in text
    assert "/sets/ichom-heart-failure/v/1.0.0/" in text
    assert "All 5 of its core outcomes" in text


def test_the_research_study_references_the_evidence_variables_of_the_sets_fhir_export():
    version = _version()
    bundle = json.loads(
        APIClient().get(reverse("api:version-export", args=["ichom-heart-failure", "1.0.0", "fhir"])).content
    )
    exported = {e["resource"]["url"] for e in bundle["entry"] if e["resource"]["resourceType"] == "EvidenceVariable"}
    study = research_study(version, trial_id=trial_id_parse("2023-503456-12-00"), title="A synthetic trial")
    assert research_study_validate(study) == []
    assert {m["reference"]["reference"] for m in study["outcomeMeasure"]} == exported
    assert study["identifier"] == [{"system": "https://euclinicaltrials.eu", "value": "2023-503456-12-00"}]


def test_a_verified_adoptions_research_study_is_public_and_a_pending_ones_is_not():
    adoption = adoption_declare(version=_version(), registry_id="NCT12345678", by=OutsiderFactory())
    url = reverse("api:adoption-fhir", args=[adoption.pk])
    assert APIClient().get(url).status_code == 404
    adoption_verify(adoption=adoption, by=CuratorFactory())
    response = APIClient().get(url)
    assert response.status_code == 200
    assert json.loads(response.content)["identifier"][0]["value"] == "NCT12345678"
