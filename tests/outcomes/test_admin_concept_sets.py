"""Concept set revisions in the Django admin: a proposal's items are checked, reviewing goes through the service,
a reviewed revision is read-only."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from outcomes.models import AuditEvent, ConceptSetRevision
from outcomes.services.mapping import mapping_propose
from tests.factories import OutcomeFactory, SiteAdminFactory
from tests.outcomes.omop import item, reviewed_mapping

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = SiteAdminFactory()
    client.force_login(user)
    return user


@pytest.fixture
def proposed(reference_data, curator) -> ConceptSetRevision:
    return mapping_propose(outcome=OutcomeFactory(), items=[item(name="Heart failure")], by=curator).revision


def _change(revision: ConceptSetRevision) -> str:
    return reverse("admin:outcomes_conceptsetrevision_change", args=[revision.pk])


def _post(client, revision: ConceptSetRevision, code: str):
    line = revision.items.get()
    data = {
        "counts_all_deaths": "",
        "window_start_day": "",
        "window_end_day": "",
        "note": "checked",
        "items-TOTAL_FORMS": "1",
        "items-INITIAL_FORMS": "1",
        "items-0-id": str(line.pk),
        "items-0-revision": str(revision.pk),
        "items-0-order": "0",
        "items-0-vocabulary": "SNOMED",
        "items-0-code": code,
        "items-0-name": "Heart failure",
        "items-0-domain": "condition",
        "items-0-include_descendants": "on",
    }
    return client.post(_change(revision), data)


def test_a_proposed_revisions_items_are_edited_in_the_admin_with_their_codes_checked(client, staff, proposed):
    response = _post(client, proposed, "84114008")
    assert response.status_code == 200 and "Verhoeff" in response.content.decode()
    response = _post(client, proposed, "49436004")
    assert response.status_code == 302
    assert proposed.items.get().code == "49436004"
    assert AuditEvent.objects.filter(action="conceptset.admin_edit", object_id=str(proposed.pk)).exists()


def test_the_review_action_reviews_through_the_service(client, staff, proposed):
    payload = {"action": "review_revisions", helpers.ACTION_CHECKBOX_NAME: [proposed.pk]}
    client.post(reverse("admin:outcomes_conceptsetrevision_changelist"), payload)
    proposed.refresh_from_db()
    assert proposed.status == "reviewed" and proposed.reviewed_by == staff


def test_a_reviewed_revision_is_read_only_in_the_admin(client, staff, reference_data, curator):
    revision = reviewed_mapping(OutcomeFactory(), curator, item(name="Heart failure"))
    assert client.get(_change(revision)).status_code == 200  # shown
    assert _post(client, revision, "49436004").status_code == 403
    assert revision.items.get().code == "84114007"
    assert client.get(reverse("admin:outcomes_conceptsetrevision_add")).status_code == 403
