"""The Django admin drives the version lifecycle through the services and never edits a frozen version."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.urls import reverse

from outcomes.admin import OutcomeAdmin
from outcomes.models import CoreOutcomeSetVersion, Outcome
from outcomes.services.versions import version_draft_create
from tests.factories import OutcomeFactory, SiteAdminFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status
CHANGELIST = "admin:outcomes_coreoutcomesetversion_changelist"


@pytest.fixture
def admin_client(client):
    client.force_login(SiteAdminFactory())
    return client


def _action(client, action: str, version: CoreOutcomeSetVersion, **data):
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: [version.pk], **data}
    return client.post(reverse(CHANGELIST), payload, follow=True)


def _messages(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_publish_action_shows_the_proposal_then_publishes_with_the_given_number(admin_client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    OutcomeFactory(version=draft, name="Fatigue")
    form = _action(admin_client, "publish_version", draft)
    assert 'class="proposal">1.1.0</strong>' in form.content.decode()
    response = _action(admin_client, "publish_version", draft, apply="1", number="2.0.0")
    draft.refresh_from_db()
    assert (draft.status, draft.version) == (Status.PUBLISHED, "2.0.0")
    assert "Published" in _messages(response)
    assert draft.published_by.username == "admin"


def test_publish_action_refuses_a_number_below_the_proposal_with_a_form_error(admin_client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    OutcomeFactory(version=draft, name="Fatigue")
    response = _action(admin_client, "publish_version", draft, apply="1", number="1.0.1")
    assert response.status_code == 200
    assert "lower than the proposed 1.1.0" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_publish_action_on_a_published_version_is_refused_with_a_message(admin_client, reference_data):
    version = version_with_content()
    response = _action(admin_client, "publish_version", version)
    assert "Only a draft or in-consensus version can be published" in _messages(response)


def test_withdraw_action_needs_a_reason_then_withdraws(admin_client, reference_data):
    version = version_with_content()
    response = _action(admin_client, "withdraw_version", version, apply="1", reason=" ")
    assert "Give the reason for withdrawing" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED
    response = _action(admin_client, "withdraw_version", version, apply="1", reason="Wrong instrument")
    version.refresh_from_db()
    assert (version.status, version.withdrawn_reason) == (Status.WITHDRAWN, "Wrong instrument")
    assert "Withdrew" in _messages(response)


def test_create_draft_action_copies_the_version_and_refuses_a_second_draft(admin_client, reference_data):
    version = version_with_content()
    response = _action(admin_client, "create_draft", version)
    assert "Created draft" in _messages(response)
    assert version.core_outcome_set.versions.filter(status=Status.DRAFT).count() == 1
    response = _action(admin_client, "create_draft", version)
    assert "already has an open version" in _messages(response)


def test_start_consensus_action_moves_a_draft_into_consensus(admin_client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    _action(admin_client, "start_consensus", draft)
    draft.refresh_from_db()
    assert draft.status == Status.IN_CONSENSUS


def test_a_published_version_cannot_be_deleted_from_the_admin(admin_client, reference_data):
    version = version_with_content()
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: [version.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 403  # has_delete_permission refuses frozen versions
    assert CoreOutcomeSetVersion.objects.filter(pk=version.pk).exists()
    assert version.outcomes.count() == 2


def test_editing_a_published_outcome_in_the_admin_is_refused(admin_client, reference_data):
    version = version_with_content()
    outcome = version.outcomes.get(name="Pain")
    url = reverse("admin:outcomes_outcome_change", args=[outcome.pk])
    assert 'name="name"' not in admin_client.get(url).content.decode()  # shown read-only
    response = admin_client.post(url, {"name": "Changed", "order": 0})
    assert response.status_code == 403
    outcome.refresh_from_db()
    assert outcome.name == "Pain"


def test_when_the_admin_guard_is_bypassed_the_database_refuses_and_the_admin_shows_a_message(
    admin_client, reference_data, monkeypatch
):
    version = version_with_content()
    outcome = version.outcomes.get(name="Pain")
    monkeypatch.setattr(OutcomeAdmin, "has_change_permission", lambda self, request, obj=None: True)
    url = reverse("admin:outcomes_outcome_change", args=[outcome.pk])
    data = {
        "version": version.pk,
        "name": "Changed",
        "order": 0,
        "definition": "x",
        "domains": [d.pk for d in outcome.domains.all()],
        "measurements-TOTAL_FORMS": 0,
        "measurements-INITIAL_FORMS": 0,
    }
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "Refused: The outcomes of a published, superseded or withdrawn version cannot" in _messages(response)
    assert Outcome.objects.get(pk=outcome.pk).name == "Pain"


def test_version_admin_pages_render_for_drafts_and_frozen_versions(admin_client, reference_data):
    published = version_with_content()
    draft = version_draft_create(from_version=published)
    for version in (published, draft):
        response = admin_client.get(reverse("admin:outcomes_coreoutcomesetversion_change", args=[version.pk]))
        assert response.status_code == 200
    # A draft's outcomes are editable inline, a published version's are not.
    draft_html = admin_client.get(reverse("admin:outcomes_coreoutcomesetversion_change", args=[draft.pk]))
    assert 'name="outcomes-0-name"' in draft_html.content.decode()
    published_html = admin_client.get(reverse("admin:outcomes_coreoutcomesetversion_change", args=[published.pk]))
    assert 'name="outcomes-0-name"' not in published_html.content.decode()
    assert admin_client.get(reverse(CHANGELIST)).status_code == 200
    cos_page = admin_client.get(reverse("admin:outcomes_coreoutcomeset_change", args=[published.core_outcome_set.pk]))
    assert cos_page.status_code == 200


def test_a_curator_flags_a_draft_as_a_correction_in_the_admin_and_the_form_checks_it(admin_client, reference_data):
    draft = version_draft_create(from_version=version_with_content())
    html = admin_client.get(reverse("admin:outcomes_coreoutcomesetversion_change", args=[draft.pk])).content.decode()
    assert 'name="is_correction"' in html
    orphan = CoreOutcomeSetVersion(core_outcome_set=draft.core_outcome_set, version="9.0.0", is_correction=True)
    with pytest.raises(ValidationError, match="A correction is derived from the version it corrects"):
        orphan.validate_constraints()
