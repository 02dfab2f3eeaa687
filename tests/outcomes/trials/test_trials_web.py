from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes.models import CoreOutcomeSetVersion, TrialAdoption, TrialCheck
from outcomes.services.trials import adoption_declare, adoption_verify
from tests.factories import CuratorFactory, OutsiderFactory

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"


def _hf_version() -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0")


def _check(client: Client, **data):
    return client.post(reverse("web:trial-check"), {"version": str(_hf_version().pk), **data})


def test_pasted_outcomes_are_checked_and_the_result_page_shows_the_verdict_per_core_outcome():
    client = Client()
    response = _check(client, lines="KCCQ-12\nAll-cause mortality\nPHQ-2\nHospitalisation for heart failure")
    assert response.status_code == 302
    page = client.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert "it uses the set under the Kirkham rule" in text
    assert "instrument named" in text
    assert "SPIRIT and CONSORT 2025" in text


def test_the_check_form_preselects_the_set_named_in_the_address():
    response = Client().get(reverse("web:trial-check"), {"set": HF})
    assert response.status_code == 200
    assert f'value="{_hf_version().pk}" selected' in response.content.decode()


def test_a_five_megabyte_paste_gets_a_clear_error_and_stores_nothing():
    response = _check(Client(), lines="Overall survival\n" * 320_000)
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    assert not TrialCheck.objects.exists()


def test_a_csv_in_the_wrong_encoding_gets_a_form_error_and_stores_nothing():
    upload = SimpleUploadedFile("outcomes.csv", "measure\nQualité de vie\n".encode("latin-1"))
    response = _check(Client(), upload=upload)
    assert response.status_code == 400
    assert "not UTF-8" in response.content.decode()
    assert not TrialCheck.objects.exists()


def test_a_study_record_without_outcomes_gets_a_form_error():
    response = _check(Client(), ctgov='{"protocolSection": {"outcomesModule": {}}}')
    assert response.status_code == 400
    assert "no outcome measures" in response.content.decode()


def test_two_inputs_at_once_are_refused():
    response = _check(Client(), lines="Pain", nct="NCT12345678")
    assert response.status_code == 400
    assert not TrialCheck.objects.exists()


def test_a_signed_in_user_declares_adoption_from_the_result_and_a_curator_verifies_it_on_the_queue():
    user, curator = OutsiderFactory(), CuratorFactory()
    client = Client()
    client.force_login(user)
    result_url = _check(client, lines="KCCQ-12\nDeath")["Location"]
    check = TrialCheck.objects.get()
    declared = client.post(reverse("web:adoption-declare", args=[check.pk]), {"registry_id": "NCT12345678"})
    assert declared.status_code == 302
    assert declared["Location"] == result_url
    duplicate = client.post(reverse("web:adoption-declare", args=[check.pk]), {"registry_id": "nct12345678"})
    assert duplicate.status_code == 400
    assert "already declared" in duplicate.content.decode()
    assert client.get(reverse("web:adoption-queue")).status_code == 403
    curators = Client()
    curators.force_login(curator)
    queue = curators.get(reverse("web:adoption-queue"))
    assert "NCT12345678" in queue.content.decode()
    adoption = TrialAdoption.objects.get()
    verified = curators.post(reverse("web:adoption-queue"), {"adoption": adoption.pk, "action": "verify"})
    assert verified.status_code == 302
    adoption.refresh_from_db()
    assert adoption.status == TrialAdoption.Status.VERIFIED
    set_page = Client().get(reverse("web:set-detail", args=[HF])).content.decode()
    assert "Used by 1 trial<" in set_page


def test_a_rejection_without_a_reason_is_refused_on_the_queue():
    curator = CuratorFactory()
    adoption = adoption_declare(version=_hf_version(), registry_id="ISRCTN12345678", by=OutsiderFactory())
    client = Client()
    client.force_login(curator)
    response = client.post(reverse("web:adoption-queue"), {"adoption": adoption.pk, "action": "reject", "reason": ""})
    assert response.status_code == 400
    adoption.refresh_from_db()
    assert adoption.status == TrialAdoption.Status.PENDING


def test_the_set_uptake_page_has_a_chart_and_its_table_equivalent_and_links_out_to_the_registry():
    adoption = adoption_declare(version=_hf_version(), registry_id="NCT12345678", by=OutsiderFactory())
    adoption_verify(adoption=adoption, by=CuratorFactory())
    text = Client().get(reverse("web:set-uptake", args=[HF])).content.decode()
    assert 'role="img"' in text
    assert 'id="uptake-table"' in text
    assert "https://clinicaltrials.gov/study/NCT12345678" in text


def test_the_uptake_pages_take_the_same_number_of_queries_whatever_the_adoptions():
    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as registry:
            Client().get(reverse("web:uptake"))
        with CaptureQueriesContext(connection) as one_set:
            Client().get(reverse("web:set-uptake", args=[HF]))
        return len(registry), len(one_set)

    before = counts()
    curator = CuratorFactory()
    for n in range(4):
        adoption = adoption_declare(version=_hf_version(), registry_id=f"NCT1234567{n}", by=OutsiderFactory())
        adoption_verify(adoption=adoption, by=curator)
    assert counts() == before


def test_checks_beyond_the_limit_answer_429_on_the_page_and_the_api_together(rate_limit_clock):
    client = Client()
    for _ in range(15):
        assert client.post(reverse("web:trial-check"), {}).status_code == 400
        assert client.post(reverse("api:trial-check-create"), {}, content_type="application/json").status_code == 400
    assert client.post(reverse("web:trial-check"), {}).status_code == 429
    assert client.post(reverse("api:trial-check-create"), {}, content_type="application/json").status_code == 429
