"""Fixtures for the consensus workflow: a process with candidates, and panelists (the named users `facilitator` and
`outsider` come from tests/conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from outcomes.models import ConsensusProcess, Panelist, Round
from outcomes.services import consensus as svc
from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory


@dataclass
class Member:
    panelist: Panelist
    token: str


def make_process(facilitator, *, items: int = 3, title: str = "Test panel") -> ConsensusProcess:
    cos = CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory())
    process = svc.process_create(core_outcome_set=cos, title=title, by=facilitator, facilitators=[facilitator])
    for i in range(items):
        svc.item_create(process=process, name=f"Outcome {i + 1}", domain_numbers=[i % 38 + 1], by=facilitator)
    return process


@pytest.fixture
def process(reference_data, facilitator) -> ConsensusProcess:
    return make_process(facilitator)


def add_member(process: ConsensusProcess, email: str, *, group_index: int = 0, consent: bool = True) -> Member:
    panelist = svc.panelist_invite(process=process, email=email, by=None)
    token = svc.panelist_token_issue(panelist=panelist)
    panelist.refresh_from_db()
    if consent:
        panelist = svc.panelist_consent(panelist=panelist, group=list(process.groups.all())[group_index])
    return Member(panelist, token)


@pytest.fixture
def members(process) -> list[Member]:
    return [add_member(process, f"p{i}@example.org", group_index=i % 2) for i in range(4)]


def open_first_round(process: ConsensusProcess, facilitator) -> Round:
    round_ = svc.round_create(process=process, by=facilitator)
    return svc.round_open(round=round_, by=facilitator)


def rate_all(member: Member, round_: Round, score: int | None, *, complete: bool = True, unable: bool = False):
    items = list(round_.round_items.values_list("item_id", flat=True))
    entries = [svc.RatingInput(item_id=pk, score=None if unable else score, unable_to_score=unable) for pk in items]
    return svc.rating_submit(panelist=member.panelist, round=round_, ratings=entries, complete=complete)


@pytest.fixture
def api_client_for():
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return make
