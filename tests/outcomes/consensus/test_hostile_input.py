"""Hostile input to the consensus pages and endpoints is a 4xx naming what is wrong, never a 500: JSON nested too
deep, NUL characters in a CSV import or a form field, ids that are not numbers. Run on SQLite and on PostgreSQL
(which cannot store a NUL at all). The registry API: tests/outcomes/api/test_hostile_bodies.py."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import Rating, Suggestion
from outcomes.services import consensus as svc
from tests.outcomes.consensus.conftest import add_member, open_first_round

pytestmark = pytest.mark.django_db

DEEP = b"[" * 100_000 + b"]" * 100_000


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def assert_api_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["message"]
    return error


# --- JSON nested 100,000 deep -----------------------------------------------------------------------------------


def test_json_nested_too_deep_is_a_400_on_the_facilitator_and_panelist_endpoints(process, facilitator):
    member = add_member(process, "deep@example.org")
    open_first_round(process, facilitator)
    panelist = APIClient()
    panelist.credentials(HTTP_AUTHORIZATION=f"Panelist {member.token}")
    calls = [
        (api_as(facilitator), "post", reverse("api:consensus-items", args=[process.pk])),
        (api_as(facilitator), "patch", reverse("api:consensus-process-detail", args=[process.pk])),
        (panelist, "put", reverse("api:panel-round", args=[1])),
        (panelist, "post", reverse("api:panel-suggestions")),
    ]
    for client, method, url in calls:
        response = getattr(client, method)(url, DEEP, content_type="application/json")
        assert "nested too deeply" in assert_api_error(response, 400)["message"], url
    assert not Rating.objects.exists() and process.items.count() == 3


# --- NUL characters -------------------------------------------------------------------------------------------


NUL_CSV = b"name,definition,domains\nGood,,3\nBad\x00name,,4\nFine,defini\x00tion,5\n"


def test_a_nul_in_a_csv_import_through_the_api_is_a_400_naming_each_row_and_imports_nothing(process, facilitator):
    url = reverse("api:consensus-items-import", args=[process.pk])
    for response in (
        api_as(facilitator).post(url, NUL_CSV, content_type="text/csv"),
        api_as(facilitator).post(url, {"file": SimpleUploadedFile("c.csv", NUL_CSV)}, format="multipart"),
    ):
        error = assert_api_error(response, 400)
        problems = " ".join(error["fields"]["file"])
        assert "Line 3: the 'name' column contains a NUL character" in problems
        assert "Line 4: the 'definition' column contains a NUL character" in problems
    assert process.items.count() == 3


def test_a_nul_in_a_csv_import_page_is_a_form_error_naming_the_row_and_imports_nothing(process, facilitator):
    upload = SimpleUploadedFile("c.csv", NUL_CSV, content_type="text/csv")
    response = logged_in(facilitator).post(
        reverse("facilitator:items", args=[process.pk]), {"import": "1", "file": upload}
    )
    assert response.status_code == 400
    assert "Line 3: the &#x27;name&#x27; column contains a NUL character" in response.content.decode()
    assert process.items.count() == 3


def test_a_nul_in_the_csv_header_is_named_and_imports_nothing(process, facilitator):
    with pytest.raises(svc.CsvImportError, match="Line 1: the header row contains a NUL"):
        svc.candidates_import_csv(process=process, data=b"na\x00me,definition,domains\nGood,,3\n", by=facilitator)
    assert process.items.count() == 3


def test_a_domain_written_with_a_superscript_digit_is_a_row_problem_not_a_500(process, facilitator):
    with pytest.raises(svc.CsvImportError, match="Line 2: '²' is not a COMET domain number"):
        svc.candidates_import_csv(process=process, data="name,domains\nGood,²\n".encode(), by=facilitator)


def test_a_nul_in_a_comment_on_the_panel_form_is_a_form_error_and_nothing_is_saved(process, facilitator):
    member = add_member(process, "nul@example.org")
    round_ = open_first_round(process, facilitator)
    item_ids = list(round_.round_items.values_list("item_id", flat=True))
    client = Client()
    client.get(reverse("panel:enter", args=[member.token]))
    form = {f"score-{pk}": "7" for pk in item_ids}
    form[f"comment-{item_ids[0]}"] = "fine\x00print"
    response = client.post(reverse("panel:round", args=[1]), {**form, "action": "save"})
    assert response.status_code == 400
    assert "Remove the NUL character" in response.content.decode()
    assert not Rating.objects.filter(panelist=member.panelist).exists()


def test_the_rating_service_refuses_a_nul_in_a_comment_or_a_proposed_wording(process, facilitator):
    member = add_member(process, "nul2@example.org")
    round_ = open_first_round(process, facilitator)
    item_id = round_.round_items.first().item_id
    with pytest.raises(svc.RatingsRefused) as refused:
        svc.rating_submit(
            panelist=member.panelist,
            round=round_,
            ratings=[svc.RatingInput(item_id=item_id, score=7, comment="a\x00b")],
        )
    assert refused.value.errors == {"0": {"comment": "Remove the NUL character (it cannot be stored)."}}


# --- Ids that are not numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["abc", "²", "1\x00", "9" * 40, ""])
def test_a_malformed_suggestion_id_on_the_suggestions_page_is_a_400_with_a_message(process, facilitator, raw):
    member = add_member(process, "suggests@example.org")
    round_ = svc.round_create(process=process, by=facilitator, allow_suggestions=True)
    svc.round_open(round=round_, by=facilitator)
    suggestion = svc.suggestion_submit(panelist=member.panelist, round=round_, name="New outcome", rationale="")
    response = logged_in(facilitator).post(
        reverse("facilitator:suggestions", args=[process.pk]),
        {"suggestion": raw, f"s{suggestion.pk}-decision": "rejected"},
    )
    assert response.status_code == 400
    assert "does not name a suggestion" in response.content.decode()
    assert Suggestion.objects.get(pk=suggestion.pk).status == Suggestion.Status.PENDING


@pytest.mark.parametrize("raw", ["abc", "²", "9" * 40])
def test_a_malformed_round_item_id_on_the_meeting_page_is_a_400_with_a_message(process, facilitator, raw):
    meeting = svc.round_create(process=process, by=facilitator, kind="meeting")
    response = logged_in(facilitator).post(
        reverse("facilitator:meeting", args=[process.pk, meeting.number]),
        {"round_item": raw, "include": "1", "exclude": "0", "abstain": "0"},
    )
    assert response.status_code == 400
    assert "does not name an item of this meeting" in response.content.decode()
