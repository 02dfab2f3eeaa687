"""The worked example of docs/consensus.md is what the registry computes and downloads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory

from ..conftest import add_member

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[4] / "docs" / "consensus.md"


def _doc_blocks() -> list[list[str]]:
    example = DOC.read_text().split("### A worked example", 1)[1]
    return [block.strip().splitlines() for block in re.findall(r"```csv\n(.*?)```", example, re.S)]


def _ids_out(line: str) -> str:
    """A row without its ids and times (a test database numbers and stamps rows its own way)."""
    cells = line.split(",")
    return ",".join(cells[:2] + cells[4:])


def test_the_worked_example_in_the_guide_is_what_the_registry_computes(reference_data, facilitator):
    process_ = svc.process_create(
        core_outcome_set=CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory()),
        title="Worked example",
        by=facilitator,
        facilitators=[facilitator],
    )
    svc.item_create(process=process_, name="Breathlessness", domain_numbers=[1], by=facilitator)
    members = [add_member(process_, f"w{i}@example.org", group_index=0 if i < 6 else 1) for i in range(10)]
    round1 = svc.round_open(round=svc.round_create(process=process_, by=facilitator), by=facilitator)
    item_id = process_.items.get().pk
    for member, score in zip(members, [9, 8, 7, 7, 5, None, 8, 7, 2, 6], strict=True):
        entry = svc.RatingInput(item_id=item_id, score=score, unable_to_score=score is None)
        svc.rating_submit(panelist=member.panelist, round=round1, ratings=[entry], complete=True)
    svc.round_close(round=round1, by=facilitator)
    round_tally(round=round1)
    meeting = svc.round_open(round=svc.round_create(process=process_, by=facilitator, kind="meeting"), by=facilitator)
    for index, vote in {0: "include", 1: "include", 6: "exclude", 7: "abstain"}.items():
        entry = svc.RatingInput(item_id=item_id, vote=vote)
        svc.rating_submit(panelist=members[index].panelist, round=meeting, ratings=[entry], complete=True)
    round_item = meeting.round_items.get()
    svc.meeting_live_counts_set(round_item=round_item, include=5, exclude=2, abstain=9, by=facilitator)
    svc.round_close(round=meeting, by=facilitator)
    round_tally(round=meeting)

    client = Client()
    client.force_login(facilitator)
    ratings = client.get(reverse("facilitator:ratings-csv", args=[process_.pk])).content.decode().splitlines()
    results = client.get(reverse("facilitator:results-csv", args=[process_.pk])).content.decode().splitlines()
    ratings_doc, results_doc, live_doc = _doc_blocks()
    assert ratings[0] == ratings_doc[0] and results[0] == results_doc[0]
    # Delphi rows: equal but for ids and submission times; codes P0001.. as the guide numbers them.
    delphi = [re.sub(r",20\d\d-[^,]*,", ",,", _ids_out(line)) for line in ratings[1:11]]
    assert delphi == [re.sub(r",20\d\d-[^,]*,", ",,", _ids_out(line)) for line in ratings_doc[1:]]
    assert [_ids_out(line) for line in ratings[-3:]] == [_ids_out(line) for line in live_doc]
    # Results: the two group rows and the overall row of round 1 (the other default groups have n 0).
    round1_rows = [_ids_out(line) for line in results[1:] if line.startswith("1,")]
    wanted = [_ids_out(line) for line in results_doc[1:]]
    assert [row for row in round1_rows if ",Patients and carers," in row or ",Health professionals," in row] == wanted[
        :2
    ]
    assert round1_rows[-1] == wanted[2]
    meeting_overall = [line for line in results[1:] if line.startswith("2,") and ",All panelists," in line]
    assert _ids_out(meeting_overall[0]) == (
        "2,meeting,Breathlessness,outcome,All panelists,10,,,,,,,,,,,7,3,10,10,70.00,"
        '"{""abstain"": 10, ""exclude"": 3, ""include"": 7}",in'
    )
