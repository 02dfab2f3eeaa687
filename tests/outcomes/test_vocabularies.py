from __future__ import annotations

import pytest

from outcomes.vocabularies import code_problem, mod10_check_digit, verhoeff_valid


@pytest.mark.parametrize("sctid", ["84114007", "399068003", "26929004", "109989006", "9999910005"])
def test_snomed_ct_ids_with_their_verhoeff_check_digit_are_valid(sctid):
    assert verhoeff_valid(sctid)
    assert code_problem("SNOMED", sctid) is None


@pytest.mark.parametrize("sctid", ["84114008", "399068004", "26929014"])
def test_a_snomed_ct_id_with_a_wrong_check_digit_is_refused_naming_verhoeff(sctid):
    assert "Verhoeff" in code_problem("SNOMED", sctid)


@pytest.mark.parametrize("sctid", ["12345", "084114007", "8411400x", "1234567890123456789", ""])
def test_a_snomed_ct_id_that_is_not_6_to_18_digits_is_refused(sctid):
    assert "6 to 18 digits" in code_problem("SNOMED", sctid)


def test_the_loinc_check_digit_is_the_mod_10_of_its_digits():
    assert mod10_check_digit("8480") == 6  # LOINC's own worked example is 12345 -> 5
    assert mod10_check_digit("12345") == 5
    assert code_problem("LOINC", "8480-6") is None
    assert "should be 6" in code_problem("LOINC", "8480-5")
    assert "not a LOINC code" in code_problem("LOINC", "8480")


@pytest.mark.parametrize(("vocabulary", "code"), [("ICD10", "I50"), ("ICD10", "F06.7"), ("ICD10CM", "I50.21")])
def test_icd10_codes_of_the_right_pattern_are_valid(vocabulary, code):
    assert code_problem(vocabulary, code) is None


@pytest.mark.parametrize(
    ("vocabulary", "code"), [("ICD10", "i50"), ("ICD10", "I5"), ("ICD10", "I50.123"), ("ICD10", "150")]
)
def test_icd10_codes_of_another_pattern_are_refused(vocabulary, code):
    assert "not an ICD-10 code" in code_problem(vocabulary, code)


def test_atc_rxnorm_and_omop_codes_are_checked_by_their_form():
    assert code_problem("ATC", "C09AA05") is None
    assert code_problem("ATC", "C9") is not None
    assert code_problem("RxNorm", "29046") is None
    assert code_problem("RxNorm", "0123") is not None
    assert code_problem("OMOP", "316139") is None
    assert code_problem("OMOP", "2147483648") is not None
    assert code_problem("OMOP", "-1") is not None


def test_an_unknown_vocabulary_is_named_in_the_refusal():
    assert "'MeSH' is not a vocabulary" in code_problem("MeSH", "D006333")
