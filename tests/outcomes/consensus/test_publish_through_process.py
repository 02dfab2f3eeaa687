"""A consensus result is published through its process, once finalised: the version page, the admin and any
direct call of version_publish refuse the version a process builds, naming the process, and the process can still
be finalised and published afterwards."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.urls import reverse

from outcomes.models import ConsensusProcess, CoreOutcomeSetVersion
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from outcomes.services.versions import version_publish
from tests.factories import UserFactory
from tests.outcomes.consensus.conftest import add_member, open_first_round, rate_all

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def agreed_round(process, facilitator):
    """Round 1 of the process, open, with every item rated 8 by two panelists (consensus in once closed)."""
    members = [add_member(process, f"agree{i}@example.org", group_index=i % 2) for i in range(2)]
    round_ = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round_, 8)
    return round_


def test_publishing_the_version_of_a_running_process_is_refused_naming_the_process(process, facilitator):
    agreed_round(process, facilitator)
    with pytest.raises(ValidationError) as refused:
        version_publish(version=process.draft_version, by=UserFactory())
    message = refused.value.message_dict["process"][0]
    assert f"the consensus process “{process.title}” (delphi rounds running)" in message
    assert "published from that process, once finalised" in message
    process.draft_version.refresh_from_db()
    assert process.draft_version.status == Status.IN_CONSENSUS


def test_a_refused_direct_publish_leaves_the_process_able_to_finalise_and_publish(process, facilitator):
    round_ = agreed_round(process, facilitator)
    with pytest.raises(ValidationError):
        version_publish(version=process.draft_version)
    svc.round_close(round=round_, by=facilitator)
    round_tally(round=round_)
    svc.process_finalise(process=process, by=facilitator)
    published = svc.process_publish(process=process, by=facilitator)
    process.refresh_from_db()
    assert published.status == Status.PUBLISHED and process.status == ConsensusProcess.Status.PUBLISHED


def test_even_a_finalised_processs_version_is_published_only_by_the_process(process, facilitator):
    round_ = agreed_round(process, facilitator)
    svc.round_close(round=round_, by=facilitator)
    round_tally(round=round_)
    svc.process_finalise(process=process, by=facilitator)
    with pytest.raises(ValidationError, match="finalised"):
        version_publish(version=process.draft_version)
    process.refresh_from_db()
    assert process.status == ConsensusProcess.Status.FINALISED


def test_the_version_page_offers_no_publish_form_and_refuses_a_forged_one(client, process, facilitator):
    curator = UserFactory(username="curator-publisher", is_staff=True)
    client.force_login(curator)
    version = process.draft_version
    page = client.get(reverse("web:version-detail", args=[version.core_outcome_set.slug, version.version]))
    body = page.content.decode()
    assert "published from the process, once finalised, by a facilitator" in body
    assert reverse("web:version-publish", args=[version.core_outcome_set.slug, version.version]) not in body
    response = client.post(
        reverse("web:version-publish", args=[version.core_outcome_set.slug, version.version]), {"number": ""}
    )
    assert response.status_code == 400
    assert f"the consensus process “{process.title}”" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.IN_CONSENSUS


def test_the_admin_publish_action_shows_the_refusal_as_a_form_error(client, process, facilitator):
    client.force_login(UserFactory(username="admin-publisher", is_staff=True, is_superuser=True))
    version = process.draft_version
    response = client.post(
        reverse("admin:outcomes_coreoutcomesetversion_changelist"),
        {"action": "publish_version", helpers.ACTION_CHECKBOX_NAME: [version.pk], "apply": "1", "number": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert f"the consensus process “{process.title}”" in response.content.decode()
    version.refresh_from_db()
    assert version.status == Status.IN_CONSENSUS
