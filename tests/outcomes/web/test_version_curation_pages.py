"""Curators publish, withdraw and draft from the version page; refusals come back as form errors."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import path, reverse

from cos_registry import urls as project_urls
from outcomes.models import CoreOutcomeSetVersion, Outcome
from outcomes.services.versions import version_draft_create
from tests.factories import OutcomeFactory, OutsiderFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


@pytest.fixture
def curator(client, curator):
    """The named curator, signed in."""
    client.force_login(curator)
    return curator


def _url(name: str, version: CoreOutcomeSetVersion) -> str:
    return reverse(name, args=[version.core_outcome_set.slug, version.version])


def test_a_curator_sees_the_proposal_and_publishes_a_draft_from_its_page(client, reference_data, curator):
    draft = version_draft_create(from_version=version_with_content())
    OutcomeFactory(version=draft, name="Fatigue")
    html = client.get(_url("web:version-detail", draft)).content.decode()
    assert 'class="proposal">1.1.0</strong>' in html
    response = client.post(_url("web:version-publish", draft), {"number": ""})
    draft.refresh_from_db()
    assert (draft.status, draft.version, draft.published_by) == (Status.PUBLISHED, "1.1.0", curator)
    assert response["Location"] == _url("web:version-detail", draft)


def test_a_bad_number_comes_back_as_a_form_error_and_publishes_nothing(client, reference_data, curator):
    draft = version_draft_create(from_version=version_with_content())
    response = client.post(_url("web:version-publish", draft), {"number": "1.0"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'class="field-error" id="number-error" role="alert">&#x27;1.0&#x27; is not a semantic version' in html
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_withdrawing_from_the_page_needs_a_reason(client, reference_data, curator):
    version = version_with_content()
    response = client.post(_url("web:version-withdraw", version), {"reason": ""})
    assert response.status_code == 400
    assert "Give the reason for withdrawing" in response.content.decode()
    client.post(_url("web:version-withdraw", version), {"reason": "Duplicated outcomes"})
    version.refresh_from_db()
    assert (version.status, version.withdrawn_reason) == (Status.WITHDRAWN, "Duplicated outcomes")


def test_creating_a_second_draft_from_the_page_shows_the_refusal(client, reference_data, curator):
    version = version_with_content()
    response = client.post(_url("web:version-draft-create", version))
    draft = version.core_outcome_set.versions.get(status=Status.DRAFT)
    assert response["Location"] == _url("web:version-detail", draft)
    response = client.post(_url("web:version-draft-create", version))
    assert response.status_code == 400
    assert "already has an open version" in response.content.decode()


def test_only_curators_can_change_a_version_status(client, reference_data):
    version = version_with_content()
    assert client.post(_url("web:version-withdraw", version), {"reason": "x"}).status_code == 403
    client.force_login(OutsiderFactory())
    assert client.post(_url("web:version-withdraw", version), {"reason": "x"}).status_code == 403
    assert "Curate this version" not in client.get(_url("web:version-detail", version)).content.decode()
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED


def _editing_view(request, pk):  # a view that forgets a version is frozen
    with transaction.atomic():
        Outcome.objects.filter(pk=pk).update(name="Edited")
    raise AssertionError("unreachable")


def _other_integrity_error_view(request):
    raise IntegrityError("duplicate key value violates unique constraint")


urlpatterns = [
    path("edit/<int:pk>/", _editing_view),
    path("api/edit/<int:pk>/", _editing_view),
    path("other/", _other_integrity_error_view),
    *project_urls.urlpatterns,
]


@pytest.mark.urls("tests.outcomes.web.test_version_curation_pages")
def test_a_view_that_hits_the_triggers_answers_409_with_the_message_not_500(client, reference_data):
    outcome = version_with_content().outcomes.first()
    response = client.get(f"/edit/{outcome.pk}/")
    assert response.status_code == 409
    assert "Refused: The outcomes of a published, superseded or withdrawn version cannot" in response.content.decode()
    api = client.get(f"/api/edit/{outcome.pk}/")
    assert api.status_code == 409 and api.json()["error"]["message"].startswith("Refused:")
    assert api.json()["error"]["code"] == "immutable"
    with pytest.raises(IntegrityError):  # any other integrity error is not the middleware's business
        client.get("/other/")


def test_a_curator_corrects_a_wording_from_the_published_version_page(client, reference_data, curator):
    version = version_with_content()
    html = client.get(_url("web:version-detail", version)).content.decode()
    assert 'name="correction" value="1"' in html
    response = client.post(_url("web:version-draft-create", version), {"correction": "1"})
    draft = version.core_outcome_set.versions.get(status=Status.DRAFT)
    assert response["Location"] == _url("web:version-detail", draft)
    assert draft.is_correction and draft.derived_from == version
    draft.outcomes.filter(name="Pain").update(name="Pain at rest")
    client.post(_url("web:version-publish", draft), {"number": ""})
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (Status.PUBLISHED, "1.0.1")
    old_page = client.get(_url("web:version-detail", version)).content.decode()
    assert f'was corrected in <a href="{_url("web:version-detail", draft)}">version 1.0.1</a>' in old_page


def test_a_correction_that_adds_an_outcome_comes_back_as_a_refusal_on_the_page(client, reference_data, curator):
    version = version_with_content()
    draft = version_draft_create(from_version=version, correction=True)
    OutcomeFactory(version=draft, name="Fatigue")
    response = client.post(_url("web:version-publish", draft), {"number": ""})
    assert response.status_code == 400
    assert "not a correction" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
