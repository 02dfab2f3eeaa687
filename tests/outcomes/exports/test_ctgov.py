from __future__ import annotations

import pytest

from outcomes import selectors
from outcomes.exports.ctgov import DESCRIPTION_MAX, TIME_FRAME_MAX, TITLE_MAX, outcome_measures
from tests.factories import MeasurementFactory, OutcomeFactory, VersionFactory
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db


def test_there_is_one_measure_per_outcome_and_timepoint(reference_data):
    doc = outcome_measures(load("ichom-localized-prostate-cancer", "1.0.0"))
    measures = doc["outcomesModule"]["secondaryOutcomes"]
    assert len(measures) == 6
    assert measures[0] == {
        "measure": "Urinary incontinence",
        "description": measures[0]["description"],
        "timeFrame": "Baseline, then patient-reported up to 10 years",
    }
    assert "Expanded Prostate Cancer Index Composite" in measures[0]["description"]


def test_an_outcome_measured_at_two_timepoints_gives_two_measures(reference_data):
    version = VersionFactory()
    outcome = OutcomeFactory(version=version, name="Pain")
    MeasurementFactory(outcome=outcome, timing="Baseline")
    MeasurementFactory(outcome=outcome, timing="12 months")
    doc = outcome_measures(selectors.version_document_queryset().get(pk=version.pk))
    assert [m["timeFrame"] for m in doc["outcomesModule"]["secondaryOutcomes"]] == ["Baseline", "12 months"]


def test_texts_are_cut_to_the_registry_limits(reference_data):
    version = VersionFactory()
    outcome = OutcomeFactory(version=version, name="N" * 300, definition="D" * 2000)
    MeasurementFactory(outcome=outcome, instrument=None, timing="T" * 300)
    measure = outcome_measures(selectors.version_document_queryset().get(pk=version.pk))["outcomesModule"][
        "secondaryOutcomes"
    ][0]
    assert len(measure["measure"]) == TITLE_MAX and measure["measure"].endswith("…")
    assert len(measure["description"]) == DESCRIPTION_MAX
    assert len(measure["timeFrame"]) == TIME_FRAME_MAX


def test_every_reference_version_stays_within_the_limits_and_names_its_source(all_reference_versions):
    for version in all_reference_versions:
        doc = outcome_measures(version)
        assert doc["source"]["version"] == version.version and doc["source"]["canonical_url"].endswith(
            f"/v/{version.version}/"
        )
        for m in doc["outcomesModule"]["secondaryOutcomes"]:
            assert len(m["measure"]) <= 255 and len(m["description"]) <= 999 and 0 < len(m["timeFrame"]) <= 255
