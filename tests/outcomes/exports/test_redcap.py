from __future__ import annotations

import csv
import io

import pytest

from outcomes import selectors
from outcomes.exports.redcap import HEADERS, VARIABLE_RE, data_dictionary
from tests.factories import MeasurementFactory, OutcomeFactory, VersionFactory
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db

REDCAP_HEADERS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]


def parse(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_dictionary_has_the_18_standard_headers_in_order_and_record_id_first(reference_data):
    rows = parse(data_dictionary(load("ichom-heart-failure", "1.0.0")))
    assert list(HEADERS) == REDCAP_HEADERS and rows[0] == REDCAP_HEADERS
    assert rows[1][0] == "record_id" and rows[1][3] == "text"
    assert all(len(row) == 18 for row in rows)


def test_every_reference_version_has_valid_unique_variable_names(all_reference_versions):
    for version in all_reference_versions:
        names = [row[0] for row in parse(data_dictionary(version))[1:]]
        assert len(names) == len(set(names)), str(version)
        assert all(VARIABLE_RE.match(name) for name in names), [n for n in names if not VARIABLE_RE.match(n)]


def test_long_and_clashing_outcome_names_still_give_valid_unique_variables(reference_data):
    version = VersionFactory()
    for k, name in enumerate(
        ["123 Very long outcome name that goes on and on and on", "123 Very long outcome name that goes on, again"]
    ):
        outcome = OutcomeFactory(version=version, name=name, order=k)
        MeasurementFactory(outcome=outcome, instrument=None, timing="Baseline")
        MeasurementFactory(outcome=outcome, instrument=None, timing="Baseline")
    rows = parse(data_dictionary(selectors.version_document_queryset().get(pk=version.pk)))[1:]
    names = [row[0] for row in rows]
    assert len(set(names)) == len(names) == 6
    assert all(VARIABLE_RE.match(n) and len(n) <= 26 for n in names)


def test_there_is_one_form_per_timepoint(reference_data):
    rows = parse(data_dictionary(load("ichom-localized-prostate-cancer", "1.0.0")))[1:]
    forms = list(dict.fromkeys(row[1] for row in rows))
    assert forms == ["baseline_then_patient_reported_up_to_10_years", "within_6_months_of_treatment"]
    assert rows[2][2] == "Timepoint: Baseline, then patient-reported up to 10 years"


def test_the_dictionary_names_set_version_status_and_canonical_url(reference_data):
    rows = parse(data_dictionary(load("ichom-heart-failure", "1.0.0")))
    source = rows[2]
    assert source[0] == "cos_source" and source[3] == "descriptive"
    assert "ICHOM Standard Set for heart failure, version 1.0.0 (Published)" in source[4]
    assert "/sets/ichom-heart-failure/v/1.0.0/" in source[4]


def test_a_survival_outcome_is_a_yes_no_field(reference_data):
    rows = parse(data_dictionary(load("ichom-heart-failure", "1.0.0")))
    survival = next(row for row in rows if row[4] == "Survival")
    assert survival[3] == "yesno"
