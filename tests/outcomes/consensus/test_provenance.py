"""The version page states exactly the rounds and meeting that took place, with meeting figures over votes cast."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.services import consensus as svc

from .conftest import add_member, open_first_round, rate_all

pytestmark = pytest.mark.django_db


def _provenance(version) -> str:
    page = Client().get(reverse("web:version-detail", args=[version.core_outcome_set.slug, version.version]))
    assert page.status_code == 200
    html = page.content.decode()
    return html[html.index('id="agreed-heading"') : html.index("</section>", html.index('id="agreed-heading"'))]


def test_a_process_without_a_meeting_says_one_delphi_round_and_no_meeting(process, facilitator):
    members = [add_member(process, f"p{i}@example.org") for i in range(3)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 8)
    svc.round_close(round=round1, by=facilitator)
    svc.process_finalise(process=process, by=facilitator)
    text = _provenance(svc.process_publish(process=process, by=facilitator))
    assert "one Delphi round (round 1) rated by a panel of stakeholder groups." in text
    assert "meeting" not in text
    assert "100.00% of the 3 panelists who scored it scored 7-9 in round 1" in text


def test_an_outcome_included_at_the_meeting_shows_its_share_of_votes_cast_and_the_abstentions(process, facilitator):
    members = [add_member(process, f"p{i}@example.org") for i in range(3)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 5)
    svc.round_close(round=round1, by=facilitator)
    meeting = svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)
    for round_item in meeting.round_items.all():
        svc.meeting_live_counts_set(round_item=round_item, include=7, exclude=3, abstain=10, by=facilitator)
    svc.round_close(round=meeting, by=facilitator)
    svc.process_finalise(process=process, by=facilitator)
    text = _provenance(svc.process_publish(process=process, by=facilitator))
    assert (
        "one Delphi round (round 1) rated by a panel of stakeholder groups, then a consensus meeting (round 2)." in text
    )
    assert "70.00% of 10 votes cast voted include at the consensus meeting (round 2); 10 abstained" in text
    assert "35.00%" not in text and "n=20" not in text
