"""Concept sets through the API: public reads of reviewed revisions, curator-only writes with field-level errors."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import ConceptSetRevision, CoreOutcomeSetVersion
from tests.outcomes.omop import item, reviewed_mapping

pytestmark = pytest.mark.django_db

HF = "ichom-heart-failure"
BODY = {
    "items": [
        {"vocabulary": "SNOMED", "code": "84114007", "name": "Heart failure", "domain": "condition"},
        {
            "vocabulary": "ICD10",
            "code": "I50.1",
            "name": "Left ventricular failure",
            "domain": "condition",
            "is_excluded": True,
        },
    ],
    "window": {"start_day": 0, "end_day": 365},
}


@pytest.fixture
def outcome(reference_data):
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=HF, version="1.0.0").outcomes.first()


def _url(outcome) -> str:
    return reverse("api:outcome-concept-sets", args=[outcome.identity])


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_anyone_reads_an_unmapped_outcome_as_not_yet_mapped(outcome):
    response = _client().get(_url(outcome))
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == {"identity": str(outcome.identity), "name": outcome.name, "set": HF, "version": "1.0.0"}
    assert body["current"] is None and body["revisions"] == []


def test_a_curator_proposes_and_reviews_and_then_everyone_reads_it(outcome, curator):
    response = _client(curator).post(_url(outcome), BODY, format="json")
    assert response.status_code == 201, response.content
    proposed = response.json()
    assert proposed["revision"] == 1 and proposed["status"] == "proposed" and proposed["warnings"] == []
    assert proposed["window"] == {"start_day": 0, "end_day": 365}
    assert [i["code"] for i in proposed["items"]] == ["84114007", "I50.1"]
    assert _client().get(_url(outcome)).json()["revisions"] == []  # a pending proposal is not public

    review = reverse("api:outcome-concept-set-review", args=[outcome.identity, 1])
    response = _client(curator).post(review, format="json")
    assert response.status_code == 200 and response.json()["status"] == "reviewed"
    current = _client().get(_url(outcome)).json()["current"]
    assert current["revision"] == 1 and current["reviewed_at"] and current["proposed_by"] == "Registry curator"


@pytest.mark.parametrize("role", ["anonymous", "outsider", "facilitator"])
def test_only_curators_write(outcome, role, request):
    user = None if role == "anonymous" else request.getfixturevalue(role)
    assert _client(user).post(_url(outcome), BODY, format="json").status_code == 403
    assert not ConceptSetRevision.objects.exists()


def test_bad_codes_are_400_naming_each_field(outcome, curator):
    body = {
        "items": [
            {"vocabulary": "SNOMED", "code": "84114008", "domain": "condition"},
            {"vocabulary": "LOINC", "code": "8480-5", "domain": "measurement"},
            {"vocabulary": "ICD10", "code": "I50", "domain": "condition"},
        ]
    }
    response = _client(curator).post(_url(outcome), body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"items.0.code", "items.1.code"}
    assert "Verhoeff" in fields["items.0.code"][0] and "check digit should be 6" in fields["items.1.code"][0]


def test_an_unknown_vocabulary_domain_or_field_is_a_400_naming_it(outcome, curator):
    body = {
        "items": [{"vocabulary": "MeSH", "code": "D006333", "domain": "episode", "colour": "red"}],
        "status": "reviewed",
    }
    response = _client(curator).post(_url(outcome), body, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"items.0.vocabulary", "items.0.domain", "items.0.colour", "status"} <= set(fields)
    assert not ConceptSetRevision.objects.exists()


def test_reviewing_a_reviewed_revision_is_a_400_and_an_unknown_one_a_404(outcome, curator):
    reviewed_mapping(outcome, curator, item(name="Heart failure"))
    client = _client(curator)
    response = client.post(reverse("api:outcome-concept-set-review", args=[outcome.identity, 1]), format="json")
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]
    response = client.post(reverse("api:outcome-concept-set-review", args=[outcome.identity, 9]), format="json")
    assert response.status_code == 404


def test_an_unknown_outcome_is_a_404(reference_data, curator):
    assert _client(curator).get(reverse("api:outcome-concept-sets", args=[uuid.uuid4()])).status_code == 404


def test_an_outcome_of_a_draft_only_is_hidden_from_the_public(heart_failure_draft, curator):
    draft_outcome = heart_failure_draft.outcomes.get()
    assert _client().get(_url(draft_outcome)).status_code == 404
    assert _client(curator).get(_url(draft_outcome)).status_code == 200


def test_a_review_changes_the_etag_and_the_cached_document_of_a_published_version(outcome, curator):
    url = reverse("api:version-detail", args=[HF, "1.0.0"])
    client = _client()
    before = client.get(url)
    assert all(o["concept_set"] is None for o in before.json()["outcomes"])
    reviewed_mapping(outcome, curator, item(name="Heart failure"))
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    mapped = next(o for o in after.json()["outcomes"] if o["identity"] == str(outcome.identity))
    assert mapped["concept_set"]["revision"] == 1


def test_the_atlas_export_is_served_per_version(outcome, curator):
    reviewed_mapping(outcome, curator, item("OMOP", "4306655", name="Death", domain="death"))
    response = _client().get(reverse("api:version-export", args=[HF, "1.0.0", "atlas"]))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == f'attachment; filename="{HF}-1.0.0.atlas.json"'
    document = response.json()
    entry = next(o for o in document["outcomes"] if o["identity"] == str(outcome.identity))
    assert entry["mapping_revision"] == 1 and entry["expression"]["items"][0]["concept"]["CONCEPT_ID"] == 4306655
