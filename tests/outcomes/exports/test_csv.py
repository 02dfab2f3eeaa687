from __future__ import annotations

import csv
import io

import pytest

from outcomes.exports import cell_escape
from outcomes.exports.csv import HEADER, version_csv
from tests.factories import MeasurementFactory, OutcomeFactory, VersionFactory
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_there_is_one_row_per_outcome_and_measurement_under_a_header(reference_data):
    text = version_csv(load("ichom-heart-failure", "1.0.0"))
    assert text.splitlines()[0].split(",") == list(HEADER)
    rows = rows_of(text)
    # 5 outcomes; functional status has 3 instruments, psychosocial 1, symptom burden 1, two have none.
    assert len(rows) == 3 + 1 + 1 + 1 + 1
    functional = [r for r in rows if r["outcome_name"] == "Functional status"]
    assert [r["instrument_acronym"] for r in functional] == ["KCCQ-12", "PROMIS-PF-4a", "NYHA"]
    assert {r["version"] for r in rows} == {"1.0.0"} and {r["status"] for r in rows} == {"published"}


@pytest.mark.parametrize("raw", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\t=x"])
def test_cells_that_would_run_as_formulas_are_escaped(raw):
    assert cell_escape(raw) == "'" + raw


def test_ordinary_cells_are_left_alone():
    assert cell_escape("Survival (1-year)") == "Survival (1-year)"
    assert cell_escape(None) == ""


def test_a_formula_in_a_definition_or_timing_is_escaped_in_the_file(reference_data):
    version = VersionFactory()
    outcome = OutcomeFactory(version=version, name="Pain", definition="@SUM(1)")
    MeasurementFactory(outcome=outcome, instrument=None, timing="-1 day")
    from outcomes import selectors

    row = rows_of(version_csv(selectors.version_document_queryset().get(pk=version.pk)))[0]
    assert row["outcome_definition"] == "'@SUM(1)" and row["timing"] == "'-1 day"


def test_unicode_survives_as_utf8(reference_data):
    version = VersionFactory()
    OutcomeFactory(version=version, name="Qualité de vie – Lebensqualität")
    from outcomes import selectors
    from outcomes.exports.csv import version_csv_bytes

    data = version_csv_bytes(selectors.version_document_queryset().get(pk=version.pk))
    assert "Qualité de vie – Lebensqualität".encode() in data
