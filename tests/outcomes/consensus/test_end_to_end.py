"""A whole consensus process: invite, three Delphi rounds with feedback, suggestions, a meeting, finalise, publish."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from outcomes import selectors
from outcomes.models import ConsensusProcess, CoreOutcomeSetVersion, ItemResult, Round, Suggestion
from outcomes.selectors import consensus as consensus_selectors
from outcomes.services import consensus as svc

from .conftest import make_process

pytestmark = pytest.mark.django_db


def _rate(panelist, round_, scores_by_name: dict[str, int], *, complete: bool = True) -> None:
    items = dict(round_.round_items.values_list("item__name", "item_id"))
    entries = [svc.RatingInput(item_id=items[name], score=score) for name, score in scores_by_name.items()]
    svc.rating_submit(panelist=panelist, round=round_, ratings=entries, complete=complete)


def _close(round_, facilitator, capture) -> Round:
    with capture(execute=True):  # the tally task runs once the close commits
        svc.round_close(round=round_, by=facilitator)
    round_.refresh_from_db()
    assert round_.tallied_at is not None
    return round_


def _overall(round_, name) -> ItemResult:
    return ItemResult.objects.get(round_item__round=round_, round_item__item__name=name, group__isnull=True)


def test_a_whole_process_runs_from_invitation_to_a_published_version_with_its_evidence(
    reference_data, facilitator, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    process = make_process(facilitator, items=4)
    outcome1 = process.items.get(name="Outcome 1")
    svc.item_create(
        process=process,
        name="Definition of Outcome 1",
        definition="Outcome 1 as reported by the patient",
        kind="definition",
        outcome_item=outcome1,
        by=facilitator,
    )
    groups = list(process.groups.all())

    # Invitations go out by email with personal links.
    with capture(execute=True):
        for i in range(6):
            svc.panelist_invite(process=process, email=f"panelist{i}@example.org", by=facilitator)
    tokens = [re.search(r"/panel/t/([^/\s]+)/", m.body).group(1) for m in mail.outbox]
    assert len(tokens) == 6

    # Each panelist follows the link, consents and chooses a group on the page.
    clients, panelists = [], []
    for i, token in enumerate(tokens):
        client = Client()
        assert client.get(reverse("panel:enter", args=[token])).status_code == 302
        response = client.post(reverse("panel:consent"), {"consent": "on", "group": groups[i % 2].pk})
        assert response.status_code == 302
        clients.append(client)
        panelists.append(svc.panelist_authenticate(token=token))

    # Round 1, with a suggestion.
    round1 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    assert ConsensusProcess.objects.get(pk=process.pk).definition_locked
    scores1 = {
        "Outcome 1": [9] * 6,
        "Outcome 2": [1] * 6,
        "Outcome 3": [9, 9, 9, 5, 5, 5],
        "Outcome 4": [8, 8, 8, 8, 5, 5],
        "Definition of Outcome 1": [8] * 6,
    }
    for i, panelist in enumerate(panelists):
        _rate(panelist, round1, {name: scores[i] for name, scores in scores1.items()})
    response = clients[0].post(reverse("panel:suggestions"), {"name": "Fatigue", "rationale": "It matters to me"})
    assert response.status_code == 302
    suggestion = Suggestion.objects.get(name="Fatigue", panelist=panelists[0])
    svc.suggestion_decide(suggestion=suggestion, decision="accepted", domain_numbers=[9], by=facilitator)
    assert "Accepted into the next round" in clients[0].get(reverse("panel:suggestions")).content.decode()
    round1 = _close(round1, facilitator, capture)
    assert _overall(round1, "Outcome 1").classification == "in"
    assert _overall(round1, "Outcome 2").classification == "out"
    assert _overall(round1, "Outcome 3").classification == "none"

    # Round 2: the page shows the round-1 distribution per group with the numbers and the own previous score.
    round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    assert round2.round_items.filter(item__name="Fatigue").exists()
    page = clients[0].get(reverse("panel:round", args=[2])).content.decode()
    assert "Round 1: how the panel scored" in page
    assert "Your score in round 1: <strong>9</strong>" in page
    assert '<meter min="0" max="100" value="100"' in page and '<span class="bin-count">6</span>' in page
    assert groups[0].name in page and groups[1].name in page
    assert "panelist1@example.org" not in page and panelists[1].code not in page
    scores2 = {
        "Outcome 1": [9] * 5,
        "Outcome 2": [1] * 5,
        "Outcome 3": [9, 9, 9, 9, 5],
        "Outcome 4": [8, 8, 8, 8, 2],
        "Definition of Outcome 1": [8] * 5,
        "Fatigue": [7] * 5,
    }
    # Panelist 0 answers on the page: save progress, then submit.
    form = {f"score-{ri.item_id}": "9" for ri in round2.round_items.all()}
    outcome4_id = round2.round_items.get(item__name="Outcome 4").item_id
    form[f"score-{outcome4_id}"] = "8"
    assert clients[0].post(reverse("panel:round", args=[2]), {**form, "action": "save"}).status_code == 302
    assert clients[0].post(reverse("panel:round", args=[2]), {**form, "action": "submit"}).status_code == 302
    for i, panelist in enumerate(panelists[1:5], start=1):
        _rate(panelist, round2, {name: scores[i] for name, scores in scores2.items()})
    # panelist 5 does not complete round 2 and is therefore not invited to round 3
    round2 = _close(round2, facilitator, capture)
    assert _overall(round2, "Fatigue").classification == "in"
    assert _overall(round2, "Outcome 4").classification == "none"  # 1 of 5 = 20% scored 1-3

    # Round 3: only those who completed round 2.
    round3 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    assert round3.participations.count() == 5
    scores3 = {**scores2, "Outcome 3": [9, 9, 9, 9, 5], "Outcome 4": [8, 8, 8, 5, 5]}
    for i, panelist in enumerate(panelists[:5]):
        _rate(panelist, round3, {name: scores[i] for name, scores in scores3.items()})
    round3 = _close(round3, facilitator, capture)
    assert _overall(round3, "Outcome 3").classification == "in"

    # The consensus meeting takes the items without consensus in, with live counts.
    meeting = svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)
    assert set(meeting.round_items.values_list("item__name", flat=True)) == {"Outcome 2", "Outcome 4"}
    for name, (include, exclude) in {"Outcome 4": (8, 2), "Outcome 2": (1, 9)}.items():
        round_item = meeting.round_items.get(item__name=name)
        svc.meeting_live_counts_set(round_item=round_item, include=include, exclude=exclude, abstain=0, by=facilitator)
    _close(meeting, facilitator, capture)

    # Finalise builds the draft version; each outcome points at the result that decided it.
    version = svc.process_finalise(process=process, by=facilitator)
    outcomes = {o.name: o for o in version.outcomes.select_related("evidence__round_item__round")}
    assert set(outcomes) == {"Outcome 1", "Outcome 3", "Outcome 4", "Fatigue"}
    assert outcomes["Outcome 4"].evidence.round_item.round == meeting
    assert outcomes["Outcome 3"].evidence.round_item.round == round3
    assert outcomes["Outcome 1"].definition == "Outcome 1 as reported by the patient"
    assert outcomes["Outcome 1"].definition_agreed is True
    assert list(outcomes["Fatigue"].domains.values_list("number", flat=True)) == [9]

    # Publish through the version lifecycle.
    version = svc.process_publish(process=process, by=facilitator)
    assert version.status == CoreOutcomeSetVersion.Status.PUBLISHED
    assert ConsensusProcess.objects.get(pk=process.pk).status == "published"
    shown = selectors.version_queryset().get(pk=version.pk)
    html = render_to_string(
        "public/_provenance.html", {"version": shown, "rounds_held": consensus_selectors.rounds_held(process)}
    )
    assert "How this version was agreed" in html
    assert reverse("facilitator:report", args=[process.pk]) in html
    assert "three Delphi rounds (rounds 1, 2 and 3) rated by a panel of stakeholder groups" in html
    assert "then a consensus meeting (round 4)" in html
    assert "80.00% of 10 votes cast voted include at the consensus meeting (round 4); 0 abstained" in html

    page = Client().get(reverse("web:version-detail", args=[version.core_outcome_set.slug, version.version]))
    assert page.status_code == 200
    assert "How this version was agreed" in page.content.decode()

    # The report is public once published: aggregates only.
    report = Client().get(reverse("facilitator:report", args=[process.pk]))
    assert report.status_code == 200
    body = report.content.decode()
    assert "Outcome 2" in body and "consensus out" in body.lower()
    assert "@example.org" not in body
