from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, TrialAdoption, TrialCheck
from outcomes.trials import inputs
from tests.factories import CuratorFactory, OutsiderFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "fixtures" / "ctgov_study_synthetic.json"
HF = "ichom-heart-failure"
HF_LINES = "KCCQ clinical summary score\nAll-cause mortality\nPHQ-2\nHospital admissions\nSerum potassium"


def _check(client: APIClient, **body):
    return client.post(reverse("api:trial-check-create"), {"set": HF, **body}, format="json")


def test_a_pasted_outcome_list_is_checked_and_stored_at_an_unguessable_address():
    response = _check(APIClient(), lines=HF_LINES)
    assert response.status_code == 201, response.content
    body = response.json()
    verdicts = {v["name"]: v for v in body["verdicts"]}
    assert verdicts["Survival"]["verdict"] == "measured"
    assert verdicts["Symptom burden"]["reason"] == "instrument named"
    assert body["meets_kirkham"] is True
    assert [body["trial_outcomes"][i]["measure"] for i in body["not_in_set"]] == ["Serum potassium"]
    assert TrialCheck.objects.get(pk=body["id"]).version.version == "1.0.0"
    assert APIClient().get(body["url"]).json()["id"] == body["id"]


def test_a_clinicaltrials_gov_record_is_read_from_its_outcomes_module():
    record = json.loads(FIXTURE.read_text())
    response = APIClient().post(
        reverse("api:trial-check-create"), {"set": "ichom-advanced-prostate-cancer", "ctgov": record}, format="json"
    )
    assert response.status_code == 201
    verdicts = {v["name"]: v["verdict"] for v in response.json()["verdicts"]}
    assert verdicts["Overall survival"] == verdicts["Time to metastasis"] == "measured"
    assert response.json()["meets_kirkham"] is False


def test_an_nct_number_is_fetched_from_a_recorded_response(monkeypatch):
    urls = []

    def recorded(url: str) -> bytes:
        urls.append(url)
        return FIXTURE.read_bytes()

    monkeypatch.setattr(inputs, "http_fetch", recorded)
    response = _check(APIClient(), nct="NCT99999901")
    assert response.status_code == 201, response.content
    assert urls == ["https://clinicaltrials.gov/api/v2/studies/NCT99999901"]
    assert response.json()["registry_id"] == "NCT99999901"


def test_an_unreachable_clinicaltrials_gov_is_a_clear_error_and_stores_nothing(monkeypatch):
    def offline(url: str) -> bytes:
        raise inputs.FetchError("network is unreachable")

    monkeypatch.setattr(inputs, "http_fetch", offline)
    response = _check(APIClient(), nct="NCT99999901")
    assert response.status_code == 400
    assert "cannot be reached" in response.json()["error"]["fields"]["nct"][0]
    assert not TrialCheck.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"nct": "NCT123"}, "nct"),
        ({"ctgov": {"protocolSection": {"outcomesModule": {}}}}, "ctgov"),
        ({"lines": "\n \n"}, "lines"),
        ({"lines": "x" * (inputs.MAX_INPUT_BYTES + 10)}, "lines"),
        ({"lines": "Pain", "version": "9.9.9"}, "version"),
        ({"lines": "Pain", "colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(body, field):
    response = _check(APIClient(), **body)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not TrialCheck.objects.exists()


def test_a_five_megabyte_paste_is_refused_as_too_large_and_stores_nothing():
    response = _check(APIClient(), lines="Overall survival\n" * 320_000)
    assert response.status_code == 413
    assert not TrialCheck.objects.exists()


def test_a_csv_in_another_encoding_is_a_clear_error():
    data = "measure\nQualité de vie\n".encode("latin-1")
    response = APIClient().post(
        reverse("api:trial-check-create"),
        {"set": HF, "csv": SimpleUploadedFile("outcomes.csv", data, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]["fields"]["csv"][0]


def test_a_csv_with_a_measure_column_is_checked():
    data = b"measure,time_frame\nKCCQ-12,12 months\nDeath,12 months\n"
    response = APIClient().post(
        reverse("api:trial-check-create"),
        {"set": HF, "csv": SimpleUploadedFile("outcomes.csv", data, content_type="text/csv")},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["source"] == "csv"


def test_the_csv_download_and_the_fhir_research_study_reference_the_sets_evidence_variables():
    check_id = _check(APIClient(), lines=HF_LINES).json()["id"]
    csv_response = APIClient().get(reverse("api:trial-check-csv", args=[check_id]))
    assert csv_response.status_code == 200
    assert csv_response.content.decode().startswith("core_outcome,applies_to,verdict")
    fhir = json.loads(APIClient().get(reverse("api:trial-check-fhir", args=[check_id])).content)
    from outcomes.exports.trials import research_study_validate

    assert research_study_validate(fhir) == []
    assert fhir["resourceType"] == "ResearchStudy"
    assert all("/fhir/EvidenceVariable/" in m["reference"]["reference"] for m in fhir["outcomeMeasure"])
    assert len(fhir["outcomeMeasure"]) == 5


def test_a_signed_in_user_declares_an_adoption_and_a_curator_verifies_it_with_audit_events():
    user, curator = OutsiderFactory(), CuratorFactory()
    client = APIClient()
    client.force_authenticate(user)
    check_id = _check(client, lines=HF_LINES).json()["id"]
    declared = client.post(
        reverse("api:adoption-list"),
        {"set": HF, "version": "1.0.0", "registry_id": "isrctn 12345678", "check": check_id},
        format="json",
    )
    assert declared.status_code == 201, declared.content
    assert declared.json()["registry_id"] == "ISRCTN12345678"
    again = client.post(
        reverse("api:adoption-list"), {"set": HF, "version": "1.0.0", "registry_id": "ISRCTN12345678"}, format="json"
    )
    assert again.status_code == 400
    pk = declared.json()["id"]
    assert client.post(reverse("api:adoption-verify", args=[pk]), {}, format="json").status_code == 403
    assert APIClient().get(reverse("api:adoption-list"), {"set": HF}).json()["count"] == 0
    curator_client = APIClient()
    curator_client.force_authenticate(curator)
    assert curator_client.post(reverse("api:adoption-verify", args=[pk]), {}, format="json").status_code == 200
    assert APIClient().get(reverse("api:adoption-list"), {"set": HF}).json()["count"] == 1
    actions = list(AuditEvent.objects.filter(object_type="outcomes.trialadoption").values_list("action", flat=True))
    assert sorted(actions) == ["adoption.declare", "adoption.verify"]
    uptake = APIClient().get(reverse("api:set-uptake", args=[HF])).json()
    assert uptake["verified_adoptions"] == 1
    assert uptake["months"][-1]["meeting_rule"] == 1


def test_a_rejection_needs_a_reason():
    curator = CuratorFactory()
    client = APIClient()
    client.force_authenticate(OutsiderFactory())
    pk = client.post(
        reverse("api:adoption-list"), {"set": HF, "version": "1.0.0", "registry_id": "2023-503456-12-00"}, format="json"
    ).json()["id"]
    client.force_authenticate(curator)
    assert client.post(reverse("api:adoption-reject", args=[pk]), {"reason": ""}, format="json").status_code == 400
    response = client.post(reverse("api:adoption-reject", args=[pk]), {"reason": "Outcomes differ"}, format="json")
    assert response.json()["status"] == "rejected"
    assert TrialAdoption.objects.get(pk=pk).reason == "Outcomes differ"


@pytest.mark.parametrize("registry_id", ["NCT1234", "2023-12345-12-00", "ISRCTN1234567", "EUCT-1"])
def test_an_unknown_registry_identifier_format_is_refused(registry_id):
    client = APIClient()
    client.force_authenticate(OutsiderFactory())
    response = client.post(
        reverse("api:adoption-list"), {"set": HF, "version": "1.0.0", "registry_id": registry_id}, format="json"
    )
    assert response.status_code == 400
    assert "registry_id" in response.json()["error"]["fields"]
    assert not TrialAdoption.objects.exists()


def test_an_anonymous_declaration_is_refused():
    response = APIClient().post(
        reverse("api:adoption-list"), {"set": HF, "version": "1.0.0", "registry_id": "NCT12345678"}, format="json"
    )
    assert response.status_code == 403


def test_the_uptake_list_takes_the_same_number_of_queries_whatever_the_adoptions():
    client = APIClient()
    client.force_authenticate(OutsiderFactory())
    with CaptureQueriesContext(connection) as few:
        APIClient().get(reverse("api:uptake-list"))
    for n in range(3):
        client.post(
            reverse("api:adoption-list"),
            {"set": HF, "version": "1.0.0", "registry_id": f"NCT1234567{n}"},
            format="json",
        )
        _check(client, lines=HF_LINES)
    with CaptureQueriesContext(connection) as many:
        APIClient().get(reverse("api:uptake-list"))
    assert len(many) == len(few)
