from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from outcomes.trials import inputs


@pytest.mark.parametrize(
    ("raw", "registry", "value"),
    [
        ("NCT01234567", "nct", "NCT01234567"),
        (" nct 0123 4567 ", "nct", "NCT01234567"),
        ("2023-503456-12-00", "euct", "2023-503456-12-00"),
        ("2015-001234-56", "eudract", "2015-001234-56"),
        ("isrctn12345678", "isrctn", "ISRCTN12345678"),
    ],
)
def test_registry_identifiers_are_recognised_and_normalised(raw, registry, value):
    trial_id = inputs.trial_id_parse(raw)
    assert (trial_id.registry, trial_id.value) == (registry, value)


@pytest.mark.parametrize(
    "raw", ["NCT1234567", "NCT123456789", "2023-403456-12-00", "2023-50345-12-00", "ISRCTN1234", "12345678", ""]
)
def test_other_identifiers_are_refused_naming_the_accepted_formats(raw):
    with pytest.raises(ValidationError, match="NCT followed by 8 digits"):
        inputs.trial_id_parse(raw)


def test_each_registry_identifier_links_out_to_its_registry():
    assert inputs.trial_id_parse("NCT01234567").url == "https://clinicaltrials.gov/study/NCT01234567"
    assert inputs.trial_id_parse("ISRCTN12345678").url == "https://www.isrctn.com/ISRCTN12345678"


def test_pasted_lines_drop_bullets_numbers_and_blank_lines():
    parsed = inputs.parse_lines("- Overall survival\n\n2. Pain\n• Fatigue\n")
    assert [o.measure for o in parsed.outcomes] == ["Overall survival", "Pain", "Fatigue"]


def test_a_study_record_gives_primary_secondary_and_other_outcomes_with_their_time_frames():
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT01234567", "briefTitle": "A synthetic study"},
            "outcomesModule": {
                "primaryOutcomes": [{"measure": "Overall survival", "timeFrame": "5 years"}],
                "secondaryOutcomes": [{"measure": "Pain", "description": "BPI"}],
                "otherOutcomes": [{"measure": "Cost"}, {"description": "no measure: skipped"}],
            },
        }
    }
    parsed = inputs.parse_ctgov(record)
    assert [(o.measure, o.kind) for o in parsed.outcomes] == [
        ("Overall survival", "primary"),
        ("Pain", "secondary"),
        ("Cost", "other"),
    ]
    assert parsed.outcomes[0].time_frame == "5 years"
    assert (parsed.registry_id, parsed.title) == ("NCT01234567", "A synthetic study")


@pytest.mark.parametrize("text", ["[]", '{"studies": []}', '{"protocolSection": {"outcomesModule": []}}', "{not json"])
def test_json_that_is_not_a_study_record_is_refused(text):
    with pytest.raises(ValidationError):
        inputs.parse_ctgov_text(text)


def test_a_csv_needs_a_measure_column():
    with pytest.raises(ValidationError, match="measure"):
        inputs.parse_csv(b"outcome,time\nPain,1 year\n")


def test_a_csv_reads_its_columns_whatever_their_case_and_a_byte_order_mark():
    parsed = inputs.parse_csv("\ufeffMeasure,Time_Frame,Kind\nPain,1 year,secondary\n".encode())
    assert (parsed.outcomes[0].measure, parsed.outcomes[0].time_frame, parsed.outcomes[0].kind) == (
        "Pain",
        "1 year",
        "secondary",
    )


def test_input_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(ValidationError, match="too large"):
        inputs.parse_lines("x" * (inputs.MAX_INPUT_BYTES + 1))


def test_a_study_missing_from_clinicaltrials_gov_is_a_clear_error():
    def not_found(url: str) -> bytes:
        raise LookupError(url)

    with pytest.raises(ValidationError, match="has no study NCT01234567"):
        inputs.fetch_ctgov("NCT01234567", fetcher=not_found)


def test_only_nct_numbers_are_fetched():
    with pytest.raises(ValidationError, match="give an NCT number"):
        inputs.fetch_ctgov("ISRCTN12345678", fetcher=lambda url: b"")
