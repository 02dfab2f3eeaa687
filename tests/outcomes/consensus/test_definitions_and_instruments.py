"""Panels agree how an outcome is defined and measured, not only whether it is in: definition, instrument and
alternatives items flow into the published version with definition_agreed / measurement_agreed."""

from __future__ import annotations

import pytest

from outcomes.models import ItemResult
from outcomes.services import consensus as svc
from tests.factories import InstrumentFactory

from .conftest import add_member, open_first_round

pytestmark = pytest.mark.django_db


def test_agreed_instrument_and_winning_alternative_reach_the_version(process, facilitator):
    outcome1, outcome2 = process.items.get(name="Outcome 1"), process.items.get(name="Outcome 2")
    kccq, mlhfq = InstrumentFactory(acronym="KCCQ-X"), InstrumentFactory(acronym="MLHFQ-X")
    svc.item_create(
        process=process,
        name="Measure Outcome 1 with KCCQ-X",
        kind="instrument",
        outcome_item=outcome1,
        instrument=kccq,
        timing="Baseline and 12 months",
        by=facilitator,
    )
    alternatives = svc.item_create(
        process=process,
        name="How to define Outcome 2",
        kind="alternatives",
        outcome_item=outcome2,
        options=[
            svc.OptionInput(label="Patient-reported", definition="As the patient reports it", instrument=mlhfq),
            svc.OptionInput(label="Clinician-assessed", definition="As the clinician assesses it"),
        ],
        by=facilitator,
    )
    first_option, second_option = list(alternatives.options.order_by("order"))
    members = [add_member(process, f"x{i}@example.org") for i in range(10)]
    round1 = open_first_round(process, facilitator)
    items = dict(round1.round_items.values_list("item__name", "item_id"))
    for i, member in enumerate(members):
        entries = [
            svc.RatingInput(item_id=items[name], score=9) for name in items if name not in ("How to define Outcome 2",)
        ]
        chosen = first_option if i < 7 else second_option  # exactly 70% choose the first option
        entries.append(svc.RatingInput(item_id=alternatives.pk, option_id=chosen.pk))
        svc.rating_submit(panelist=member.panelist, round=round1, ratings=entries, complete=True)
    svc.round_close(round=round1, by=facilitator)

    version = svc.process_finalise(process=process, by=facilitator)
    result = ItemResult.objects.get(round_item__item=alternatives, group__isnull=True)
    assert result.distribution["options"] == {str(first_option.pk): 7, str(second_option.pk): 3}
    assert result.classification == "in" and result.distribution["winner"] == first_option.pk
    first = version.outcomes.get(name="Outcome 1")
    assert first.measurement_agreed is True
    assert list(first.measurements.values_list("instrument__acronym", "timing")) == [
        ("KCCQ-X", "Baseline and 12 months")
    ]
    second = version.outcomes.get(name="Outcome 2")
    assert (second.definition, second.definition_agreed, second.measurement_agreed) == (
        "As the patient reports it",
        True,
        True,
    )


def test_an_option_of_another_item_is_refused(process, facilitator):
    outcome1 = process.items.get(name="Outcome 1")
    alternatives = svc.item_create(
        process=process,
        name="Alternatives",
        kind="alternatives",
        outcome_item=outcome1,
        options=[svc.OptionInput(label="A"), svc.OptionInput(label="B")],
        by=facilitator,
    )
    other = svc.item_create(
        process=process,
        name="Other alternatives",
        kind="alternatives",
        outcome_item=outcome1,
        options=[svc.OptionInput(label="C"), svc.OptionInput(label="D")],
        by=facilitator,
    )
    member = add_member(process, "y@example.org")
    round1 = open_first_round(process, facilitator)
    wrong = other.options.first()
    with pytest.raises(svc.RatingsRefused) as excinfo:
        svc.rating_submit(
            panelist=member.panelist,
            round=round1,
            ratings=[svc.RatingInput(item_id=alternatives.pk, option_id=wrong.pk)],
        )
    assert "option_id" in excinfo.value.errors["0"]
    assert not member.panelist.ratings.exists()
