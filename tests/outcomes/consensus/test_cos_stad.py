"""The process report states the eleven COS-STAD minimum standards (Kirkham et al., PLoS Med 2017) and how this
process met each, from its own data where the data says it, otherwise "not recorded"."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from outcomes import cos_stad
from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.factories import ConditionFactory

from .conftest import add_member, open_first_round, rate_all

pytestmark = pytest.mark.django_db


def _statuses(process) -> dict[int, str]:
    return {standard.number: standard.status for standard in cos_stad.process_cos_stad(process)}


def _evidence(process, number: int) -> str:
    return next(s.evidence for s in cos_stad.process_cos_stad(process) if s.number == number)


@pytest.fixture
def scoped(process):
    cos = process.core_outcome_set
    cos.scope_setting, cos.scope_population, cos.scope_intervention = "Clinical trials", "Adults", "Any treatment"
    cos.save()
    cos.conditions.add(ConditionFactory(name="Heart failure", disease_area=cos.disease_area))
    return process


def _run_round1(process, facilitator, groups=(0, 1, 2)):
    """One consented panelist in each named default group (patients, professionals, researchers); all complete."""
    for item in process.items.all():
        svc.item_update(item=item, definition=f"What {item.name} means", by=facilitator)
    members = [add_member(process, f"g{i}@example.org", group_index=i) for i in groups]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 8)
    round_tally(round=svc.round_close(round=round1, by=facilitator))
    process.refresh_from_db()  # round 1 locked the definition
    return round1


def test_there_are_eleven_standards_in_the_three_domains_of_the_paper(process):
    standards = cos_stad.process_cos_stad(process)
    assert [s.number for s in standards] == list(range(1, 12))
    assert [s.domain for s in standards].count("Scope specification") == 4
    assert [s.domain for s in standards].count("Stakeholders involved") == 3
    assert [s.domain for s in standards].count("Consensus process") == 4


def test_a_process_that_has_not_started_records_only_its_scope(process):
    process.core_outcome_set.scope_population = ""
    process.core_outcome_set.save()
    assert set(_statuses(process).values()) <= {"not recorded", "not met"}
    assert _statuses(process)[3] == "not recorded"
    assert _statuses(process)[9] == "not recorded" and _statuses(process)[10] == "not recorded"
    # The default groups exist but no panelist has taken part.
    assert _statuses(process)[5] == "not met"


def test_a_run_process_meets_the_standards_its_data_shows(scoped, facilitator):
    _run_round1(scoped, facilitator)
    statuses = _statuses(scoped)
    assert statuses == {
        1: "met",
        2: "met",
        3: "met",
        4: "met",
        5: "met",
        6: "met",
        7: "met",
        8: "not recorded",  # the registry does not record where the candidate list came from
        9: "met",
        10: "met",
        11: "met",
    }
    assert _evidence(scoped, 2) == "Heart failure"
    assert _evidence(scoped, 7) == "“Patients and carers”: 1 consented panelists, 1 took part."
    assert "at least 70% scoring 7-9 and fewer than 15% scoring 1-3" in _evidence(scoped, 9)
    assert "Every outcome rated in round 1 (3)" in _evidence(scoped, 11)


def test_a_group_without_panelists_who_took_part_does_not_meet_its_standard(scoped, facilitator):
    _run_round1(scoped, facilitator, groups=(0, 1))  # no researcher
    assert _statuses(scoped)[5] == "not met"
    assert "“Researchers”: 0 consented panelists" in _evidence(scoped, 5)


def test_changing_what_is_carried_forward_after_round_1_opened_fails_the_a_priori_criteria(scoped, facilitator):
    _run_round1(scoped, facilitator)
    svc.process_update(process=scoped, carry_forward="no_consensus", by=facilitator)
    scoped.refresh_from_db()
    assert _statuses(scoped)[10] == "not met"


def test_outcomes_shown_without_a_definition_leave_the_language_standard_not_recorded(process, facilitator):
    member = add_member(process, "p@example.org")
    round1 = open_first_round(process, facilitator)
    rate_all(member, round1, 8)
    assert _statuses(process)[11] == "not recorded"
    assert _evidence(process, 11) == "3 of 3 outcomes rated in round 1 were shown without a definition."


def test_the_report_page_states_the_standards_with_the_citation_and_the_public_sees_it_once_published(
    scoped, facilitator
):
    _run_round1(scoped, facilitator)
    client = Client()
    client.force_login(facilitator)
    page = client.get(reverse("facilitator:report", args=[scoped.pk])).content.decode()
    assert "COS-STAD minimum standards" in page
    assert "PLoS Med 2017;14(11):e1002447" in page and "https://doi.org/10.1371/journal.pmed.1002447" in page
    assert "Those who will use the COS in research" in page and "Not recorded" in page
    assert Client().get(reverse("facilitator:report", args=[scoped.pk])).status_code == 302  # not yet public

    svc.process_finalise(process=scoped, by=facilitator)
    svc.process_publish(process=scoped, by=facilitator)
    public = Client().get(reverse("facilitator:report", args=[scoped.pk]))
    assert public.status_code == 200
    assert "Care was taken to avoid ambiguity of language used in the list of outcomes" in public.content.decode()
