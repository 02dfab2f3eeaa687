"""Every published consensus figure, recomputed from the registry's own downloads by an independent oracle.

Whole processes run through the HTTP API (study.py), built so that items sit on the boundaries of the rule: in
and out at the default and at custom percentages, unable to score, unsubmitted and resubmitted answers,
`every_group` with a group without scorers, a meeting with abstentions and live counts, alternatives items won by
exactly 70% of those who chose and missed at 69.23%, instrument items agreed at exactly 70% and not at 69.23%. Then
the ratings download alone, through oracle.py (which does not use the tally code), must give every row of the results
download and of the API's round results, and with the items, the report's final set and the published version's
outcomes, definitions and measurements.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.api.consensus.download_serializers import ReportDownloadSerializer
from tests.factories import UserFactory

from .oracle import ALL, Definition, published_outcomes, recompute
from .study import Choice, Study

pytestmark = pytest.mark.django_db

A, B, C = "Patients and carers", "Health professionals", "Researchers"
PANEL = [f"p{i:02d}@example.org" for i in range(1, 21)]  # p01-p10 in A, p11-p20 in B


def _cell(value) -> str:
    """A value as the CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _expand(plan: dict[str, list]) -> dict[str, dict[str, object]]:
    """{item: [answer of p01, ..., answer of p20]} -> {email: {item: answer}}."""
    return {email: {item: answers[i] for item, answers in plan.items()} for i, email in enumerate(PANEL)}


def _answer(row: dict):
    """A ratings row's answer, as the study gave it."""
    if row["unable_to_score"] == "true":
        return "unable"
    if row["option"]:
        return Choice(row["option"])
    return row["vote"] or int(row["score"])


def assert_reproducible(study: Study, version: str) -> dict[tuple[int, str, str], str]:
    """Recompute every published figure from the downloads, and the published `version` from those figures and the
    items; return the classifications by (round, item, group)."""
    ratings = study.download_csv("ratings")
    ratings_json = study.download_json("ratings")["ratings"]
    assert [{k: _cell(v) for k, v in row.items()} for row in ratings_json] == ratings

    # The ratings download holds exactly what was submitted: no draft, no superseded answer.
    codes = {code: email for email, code in study.codes.items()}
    held = {
        (int(r["round"]), codes[r["panelist_code"]], r["item"]): _answer(r)
        for r in ratings
        if r["source"] == "panelist"
    }
    sent = {
        (number, email, item): answer
        for (number, email), answers in study.submitted.items()
        for item, answer in answers.items()
    }
    assert held == sent

    results = study.download_json("results")
    results_csv = study.download_csv("results")
    assert [{k: _cell(v) for k, v in row.items()} for row in results["results"]] == results_csv
    definition = Definition(**{k: v for k, v in results["definition"].items() if k != "definition_locked_at"})
    rounds = {r["number"]: r for r in study.get(reverse("api:consensus-round-list", args=[study.process_id]))}
    round_items = {}
    api_results = {}
    for number, round_id in study.rounds.items():
        for row in study.get(reverse("api:consensus-round-results", args=[round_id])):
            round_items[(number, row["round_item_id"])] = (rounds[number]["kind"], row["kind"])
            for result in row["results"]:
                api_results[(number, row["round_item_id"], result["group"] or ALL)] = result

    expected = recompute(ratings, definition, list(study.groups), round_items)
    published = {(int(r["round"]), int(r["round_item_id"]), r["group"]): r for r in results_csv}
    assert set(published) == set(expected) == set(api_results)
    for key, figures in expected.items():
        row, api = published[key], api_results[key]
        for name, value in figures.items():
            assert row[name] == _cell(value), (key, name, row[name], value)
        meeting = rounds[key[0]]["kind"] == "meeting"
        assert api["n"] == figures["n"] and api["classification"] == figures["classification"], key
        assert api["pct_high"] == (figures["pct_include"] if meeting else figures["pct_7_9"]), key
        assert (api["n_include"], api["n_exclude"], api["n_abstain"], api["votes_cast"]) == (
            figures["n_include"],
            figures["n_exclude"],
            figures["n_abstain"],
            figures["votes_cast"],
        ), key
        assert api["median"] == figures["median"] and api["q1"] == figures["q1"] and api["q3"] == figures["q3"]
        assert api["distribution"] == figures["distribution"], key

    # The published version: each item decided by the latest round it was in; outcomes with what their instrument,
    # definition and alternatives items added, as anyone reads the version.
    outcomes = published_outcomes(expected, results_csv, study.items_listed())
    document = study.published_version(version)
    assert {
        o["name"]: {
            "definition": o["definition"],
            "measurements": {(m["instrument"]["acronym"], m["timing"]) for m in o["measurements"]},
        }
        for o in document["outcomes"]
    } == outcomes
    report = study.download_json("report")
    assert ReportDownloadSerializer(data=report).is_valid()
    assert_decided_figures(study, report, expected, published, outcomes, version)
    return {(n, published[(n, ri, g)]["item"], g): f["classification"] for (n, ri, g), f in expected.items()}


def assert_decided_figures(study: Study, report: dict, expected: dict, published: dict, outcomes: dict, version: str):
    """The figure that decided each outcome item (the overall row of the latest round it was in), as the report
    download and the public version page state it."""
    latest: dict[str, tuple[int, str, dict]] = {}
    for key in sorted(k for k in expected if k[2] == ALL):
        row = published[key]
        if row["item_kind"] == "outcome":
            latest[row["item"]] = (key[0], row["round_kind"], expected[key])

    def decided(name: str) -> dict:
        number, kind, figures = latest[name]
        meeting = kind == "meeting"
        return {
            "round": number,
            "round_kind": kind,
            "n": figures["n"],
            "pct": figures["pct_include"] if meeting else figures["pct_7_9"],
            "n_abstain": figures["n_abstain"],
        }

    final = {row["outcome"]: row for row in report["final_set"]}
    assert set(final) == set(outcomes) == {name for name, (_n, _k, f) in latest.items() if f["classification"] == "in"}
    for name, row in final.items():
        figures = decided(name)
        assert {**row, "round": row["decided_in_round"]} == {
            **figures,
            "outcome": name,
            "decided_in_round": figures["round"],
            "definition_agreed": row["definition_agreed"],
            "measurement_agreed": bool(outcomes[name]["measurements"]),
        }, name
    dropped = {row["item"]: row for row in report["not_in_final_set"]}
    assert set(dropped) == set(latest) - set(final)
    for name, row in dropped.items():
        assert row == {**decided(name), "item": name, "classification": latest[name][2]["classification"]}, name

    page = APIClient().get(reverse("web:version-detail", args=[study.set_slug, version])).content.decode()
    for name in final:
        f = decided(name)
        if f["round_kind"] == "meeting":
            plural = "" if f["n"] == 1 else "s"
            sentence = (
                f"{f['pct']}% of {f['n']} vote{plural} cast voted include at the consensus meeting "
                f"(round {f['round']}); {f['n_abstain']} abstained"
            )
        else:
            plural = "" if f["n"] == 1 else "s"
            sentence = f"{f['pct']}% of the {f['n']} panelist{plural} who scored it scored 7-9 in round {f['round']}"
        assert f"<strong>{name}</strong>: {sentence}" in page, (name, sentence)


@pytest.fixture
def facilitator(reference_data):
    return UserFactory(username="methodologist")  # Study.start makes them a curator, who may start processes


def test_default_rule_boundaries_unable_drafts_resubmissions_and_a_meeting_reproduce_from_the_downloads(
    facilitator, django_capture_on_commit_callbacks
):
    study = Study.start(facilitator, django_capture_on_commit_callbacks, "Boundaries at the COMET default")
    plan1 = {
        "In at 70": [8] * 14 + [5] * 4 + [2] * 2,  # 70% high, 10% low: in
        "Just under 70": [9] * 13 + [5] * 7,  # 65%: none
        "Low at 15": [9] * 14 + [5] * 3 + [1] * 3,  # 70% high but 15% low is not fewer than 15%: none
        "Out at 70": [2] * 14 + [5] * 4 + [8] * 2,  # 70% low, 10% high: out
        "High at 15 blocks out": [1] * 14 + [5] * 3 + [9] * 3,  # 15% high: none
        "Unable aside": ["unable"] * 6 + [8] * 10 + [5] * 3 + [3],  # n = 14: 71.43% high, 7.14% low: in
        "One group unable": [9] * 10 + ["unable"] * 10,  # group B has no scorer; n = 10: in
    }
    study.add_items(list(plan1))
    for i, email in enumerate(PANEL):
        study.invite(email, A if i < 10 else B)
    study.invite("draft1@example.org", A)
    study.invite("draft2@example.org", A)

    study.open_round(1)
    answers = _expand(plan1)
    study.answer("p01@example.org", 1, dict.fromkeys(plan1, 1))  # submitted, then resubmitted below
    for email in PANEL:
        study.answer(email, 1, answers[email])
    study.answer("p02@example.org", 1, dict.fromkeys(plan1, 9), complete=False)  # a draft after submitting
    study.answer("draft1@example.org", 1, dict.fromkeys(plan1, 9), complete=False)  # never submitted
    study.answer("draft2@example.org", 1, dict.fromkeys(plan1, 1), complete=False)
    study.close_round(1)

    study.open_round(2, kind="meeting")
    assert set(study.round_items(2)) == {"Just under 70", "Low at 15", "Out at 70", "High at 15 blocks out"}
    plan2 = {
        "Just under 70": ["include"] * 4 + ["exclude"] + ["abstain"] * 15,  # + live 3/2/0: 7 of 10 cast: in
        "Low at 15": ["include"] * 9 + ["exclude"] * 11,  # 9 of 19 cast: out
        "Out at 70": ["abstain"] * 20,  # no vote cast: none
        "High at 15 blocks out": ["include"] * 5 + ["exclude"] * 2 + ["abstain"] * 13,  # + live 1/1/3: 6 of 9: out
    }
    votes = _expand(plan2)
    for email in PANEL[:-1]:
        study.answer(email, 2, votes[email])
    study.answer(PANEL[-1], 2, dict.fromkeys(plan2, "include"), complete=False)  # p20 never submits
    study.live_counts(2, "Just under 70", include=3, exclude=2, abstain=0)
    study.live_counts(2, "High at 15 blocks out", include=1, exclude=1, abstain=3)
    study.close_round(2)
    version = study.finalise_and_publish()

    classes = assert_reproducible(study, version)
    assert {item: classes[(1, item, ALL)] for item in plan1} == {
        "In at 70": "in",
        "Just under 70": "none",
        "Low at 15": "none",
        "Out at 70": "out",
        "High at 15 blocks out": "none",
        "Unable aside": "in",
        "One group unable": "in",
    }
    assert {item: classes[(2, item, ALL)] for item in plan2} == {
        "Just under 70": "in",
        "Low at 15": "out",
        "Out at 70": "none",
        "High at 15 blocks out": "out",
    }
    meeting = {r["item"]: r for r in study.download_json("results")["results"] if r["round"] == 2 and r["group"] == ALL}
    assert meeting["Just under 70"]["n_abstain"] == 14  # p06-p19 online (p20 never submitted), none live
    assert (meeting["Just under 70"]["votes_cast"], meeting["Just under 70"]["pct_include"]) == (10, "70.00")
    # Published: anyone recomputes the aggregates; the ratings stay with the facilitators.
    anonymous = APIClient()
    assert study.download_json("results", anonymous)["results"] == study.download_json("results")["results"]
    assert anonymous.get(reverse("api:consensus-ratings", args=[study.process_id])).status_code == 403


def test_custom_percentages_and_every_group_with_a_group_without_scorers_reproduce_from_the_downloads(
    facilitator, django_capture_on_commit_callbacks
):
    study = Study.start(facilitator, django_capture_on_commit_callbacks, "Custom definition in every group")
    study.define(
        rule_scope="every_group", in_high_min_pct=80, in_low_max_pct=10, out_low_min_pct=60, out_high_max_pct=20
    )
    plan = {
        "In at 80": [8] * 8 + [5] * 2 + [9] * 8 + [6] * 2,  # 80% high in A, in B and overall: in
        "Vetoed by a group": [9] * 10 + [9] * 6 + [5] * 4,  # 80% overall, 60% in B: none
        "Low at 10": [9] * 9 + [1] + [9] * 8 + [5] + [1],  # 85% high but 10% low is not fewer than 10%: none
        "Out at 60": [2] * 6 + [5] * 3 + [8] + [1] * 6 + [5] * 3 + [9],  # 60% low, 10% high everywhere: out
        "Just under 60 out": [2] * 6 + [5] * 4 + [2] * 5 + [5] * 5,  # 55% low: none
    }
    study.add_items(list(plan))
    two = [{"label": "Self-reported", "definition": "As the patient reports it"}, {"label": "Observed"}]
    study.add_item("Wording at 80", kind="alternatives", about="In at 80", options=two)
    study.add_item("Wording vetoed", kind="alternatives", about="In at 80", options=two)
    own, seen = Choice("Self-reported"), Choice("Observed")
    choices = {
        "Wording at 80": [own] * 8 + [seen] * 2 + [own] * 8 + [seen] * 2,  # 80% of choosers in A, in B, overall: in
        "Wording vetoed": [own] * 10 + [own] * 6 + [seen] * 4,  # 80% overall, 60% in B: none
    }
    plan.update(choices)
    for i, email in enumerate(PANEL):
        study.invite(email, A if i < 10 else B)
    study.invite("unable@example.org", C)  # group C answers, but scores nothing: no veto
    study.open_round(1)
    answers = _expand(plan)
    for email in PANEL:
        study.answer(email, 1, answers[email])
    study.answer("unable@example.org", 1, dict.fromkeys(plan, "unable"))
    study.close_round(1)
    version = study.finalise_and_publish()

    classes = assert_reproducible(study, version)
    assert {item: classes[(1, item, ALL)] for item in plan} == {
        "In at 80": "in",
        "Vetoed by a group": "none",
        "Low at 10": "none",
        "Out at 60": "out",
        "Just under 60 out": "none",
        "Wording at 80": "in",
        "Wording vetoed": "none",
    }
    assert classes[(1, "Vetoed by a group", B)] == "none" and classes[(1, "Vetoed by a group", A)] == "in"
    assert classes[(1, "Wording vetoed", B)] == "none" and classes[(1, "Wording vetoed", A)] == "in"
    (outcome,) = (o for o in study.published_version(version)["outcomes"] if o["name"] == "In at 80")
    assert outcome["definition"] == "As the patient reports it"


def test_alternatives_and_instrument_items_at_the_boundary_reproduce_and_reach_the_published_version(
    facilitator, django_capture_on_commit_callbacks
):
    study = Study.start(facilitator, django_capture_on_commit_callbacks, "Instruments and alternatives")
    study.add_items(["Quality of life", "Breathlessness", "Fatigue"])
    dyspnoea = "Breathlessness on exertion, as the patient rates it on a dyspnoea scale"
    study.add_item(
        "QoL by KCCQ-12", kind="instrument", about="Quality of life", instrument="KCCQ-12", timing="12 months"
    )
    study.add_item("QoL by EQ-5D", kind="instrument", about="Quality of life", instrument="EQ-5D", timing="6 months")
    study.add_item("Fatigue by PROMIS-PF-4a", kind="instrument", about="Fatigue", instrument="PROMIS-PF-4a")
    study.add_item(
        "How to measure breathlessness",
        kind="alternatives",
        about="Breathlessness",
        timing="Baseline and 6 months",
        options=[
            {"label": "Dyspnoea scale", "definition": dyspnoea, "instrument": "Rose Dyspnea Scale"},
            {"label": "Functional class", "definition": "Limitation of physical activity", "instrument": "NYHA"},
        ],
    )
    study.add_item(
        "How to define quality of life",
        kind="alternatives",
        about="Quality of life",
        options=[{"label": "Health-related", "definition": "Health-related quality of life"}, {"label": "Overall"}],
    )
    scale, functional = Choice("Dyspnoea scale"), Choice("Functional class")
    health, overall = Choice("Health-related"), Choice("Overall")
    plan = {
        "Quality of life": [8] * 20,
        "Breathlessness": [9] * 20,
        "Fatigue": [9] * 13 + [5] * 7,  # 65%: not in, so nothing about it reaches the version
        "QoL by KCCQ-12": [8] * 14 + [5] * 4 + [2] * 2,  # exactly 70% high: in, a measurement at 12 months
        "QoL by EQ-5D": ["unable"] * 7 + [8] * 9 + [5] * 4,  # 9 of 13 who scored: 69.23%: no measurement
        "Fatigue by PROMIS-PF-4a": [9] * 20,  # agreed, but about an outcome that is not in
        # Exactly 70% of those who chose (14 of 20): the dyspnoea scale wins, its definition and instrument land.
        "How to measure breathlessness": [functional] * 3 + [scale] * 14 + [functional] * 3,
        # 9 of the 13 who chose (69.23%; 7 unable): no option wins, the definition stays as it was.
        "How to define quality of life": [health] * 5 + ["unable"] * 7 + [health] * 4 + [overall] * 4,
    }
    for i, email in enumerate(PANEL):
        study.invite(email, A if i < 10 else B)
    study.open_round(1)
    answers = _expand(plan)
    study.answer("p03@example.org", 1, {**answers["p03@example.org"], "How to measure breathlessness": scale})
    for email in PANEL:  # p03 resubmits: their first choice (the scale) is replaced by the functional class
        study.answer(email, 1, answers[email])
    study.answer("p04@example.org", 1, {"How to define quality of life": overall}, complete=False)  # a draft
    study.close_round(1)
    version = study.finalise_and_publish()

    classes = assert_reproducible(study, version)
    assert {item: classes[(1, item, ALL)] for item in plan} == {
        "Quality of life": "in",
        "Breathlessness": "in",
        "Fatigue": "none",
        "QoL by KCCQ-12": "in",
        "QoL by EQ-5D": "none",
        "Fatigue by PROMIS-PF-4a": "in",
        "How to measure breathlessness": "in",
        "How to define quality of life": "none",
    }
    rows = {r["item"]: r for r in study.download_json("results")["results"] if r["group"] == ALL}
    measure, define = rows["How to measure breathlessness"], rows["How to define quality of life"]
    scale_id = study.options[("How to measure breathlessness", "Dyspnoea scale")]
    assert measure["distribution"]["winner"] == scale_id and measure["distribution"]["options"][str(scale_id)] == 14
    assert sum(measure["distribution"]["options"].values()) == 20  # the winner's share: 14 of 20, exactly 70%
    assert define["distribution"]["winner"] is None and sorted(define["distribution"]["options"].values()) == [4, 9]
    assert define["n_unable"] == 7
    outcomes = {o["name"]: o for o in study.published_version(version)["outcomes"]}
    assert set(outcomes) == {"Quality of life", "Breathlessness"}
    assert [(m["instrument"]["acronym"], m["timing"]) for m in outcomes["Quality of life"]["measurements"]] == [
        ("KCCQ-12", "12 months")
    ]
    assert outcomes["Quality of life"]["definition"] == ""
    assert outcomes["Breathlessness"]["definition"] == dyspnoea
    assert [(m["instrument"]["acronym"], m["timing"]) for m in outcomes["Breathlessness"]["measurements"]] == [
        ("Rose Dyspnea Scale", "Baseline and 6 months")
    ]
