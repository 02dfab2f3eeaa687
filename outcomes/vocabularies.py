"""Clinical code systems an outcome's concept set may use, and the form of a valid code in each.

Pure functions, no database: the mapping services, the API and the pages check a code here before it is stored,
so a malformed code is refused with a message naming the rule it breaks. A code that is well formed may still not
exist: only a loaded OMOP vocabulary (manage.py load_omop_vocabulary) can tell that.

The vocabulary names are OMOP's `vocabulary_id` values (what ATLAS and the CDM's CONCEPT table use); "OMOP" is an
OMOP concept id given directly (the code is the id).
"""

from __future__ import annotations

import re

SNOMED = "SNOMED"
LOINC = "LOINC"
ICD10 = "ICD10"
ICD10CM = "ICD10CM"
RXNORM = "RxNorm"
ATC = "ATC"
OMOP = "OMOP"

VOCABULARY_CHOICES = [
    (SNOMED, "SNOMED CT"),
    (LOINC, "LOINC"),
    (ICD10, "ICD-10 (WHO)"),
    (ICD10CM, "ICD-10-CM"),
    (RXNORM, "RxNorm"),
    (ATC, "ATC"),
    (OMOP, "OMOP concept id"),
]
VOCABULARIES = tuple(name for name, _ in VOCABULARY_CHOICES)

# The OMOP CDM domain an outcome is expected to be recorded in, and the DOMAIN_ID of that domain in OMOP vocabularies.
DOMAIN_CHOICES = [
    ("condition", "Condition"),
    ("procedure", "Procedure"),
    ("measurement", "Measurement"),
    ("observation", "Observation"),
    ("drug", "Drug"),
    ("death", "Death"),
    ("visit", "Visit"),
]
DOMAINS = tuple(name for name, _ in DOMAIN_CHOICES)
OMOP_DOMAIN_ID = dict(DOMAIN_CHOICES)

# FHIR code system URIs (terminology.hl7.org's list of external code systems; OMOP ids: OHDSI's FHIR server).
FHIR_SYSTEMS = {
    SNOMED: "http://snomed.info/sct",
    LOINC: "http://loinc.org",
    ICD10: "http://hl7.org/fhir/sid/icd-10",
    ICD10CM: "http://hl7.org/fhir/sid/icd-10-cm",
    RXNORM: "http://www.nlm.nih.gov/research/umls/rxnorm",
    ATC: "http://www.whocc.no/atc",
    OMOP: "https://fhir-terminology.ohdsi.org",
}

# OMOP concept ids are 32-bit signed integers in the CDM (CONCEPT.concept_id integer NOT NULL).
OMOP_CONCEPT_ID_MAX = 2_147_483_647

_ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
_ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")
_SNOMED = re.compile(r"^[1-9][0-9]{5,17}$")
_LOINC = re.compile(r"^([0-9]{1,7})-([0-9])$")
_RXNORM = re.compile(r"^[1-9][0-9]{0,8}$")
_ATC = re.compile(r"^[A-Z]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$")
_OMOP = re.compile(r"^(0|[1-9][0-9]{0,9})$")

# Verhoeff's dihedral group D5 tables (Verhoeff 1969), the check digit of every SNOMED CT identifier.
_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def verhoeff_valid(digits: str) -> bool:
    """True when the last digit of `digits` is the Verhoeff check digit of the others."""
    check = 0
    for position, digit in enumerate(reversed(digits)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[position % 8][int(digit)]]
    return check == 0


def mod10_check_digit(digits: str) -> int:
    """LOINC's check digit ("Mod 10", the Luhn algorithm): double every other digit from the right, sum the
    digits of the results and the remaining digits, and take what brings the sum to a multiple of ten."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value // 10 + value % 10
    return (10 - total % 10) % 10


def _icd10(code: str) -> str | None:
    if not _ICD10.match(code):
        return f"{code!r} is not an ICD-10 code: a letter, two digits, optionally a dot and one or two digits (I50.1)."
    return None


def _icd10cm(code: str) -> str | None:
    if not _ICD10CM.match(code):
        return (
            f"{code!r} is not an ICD-10-CM code: a letter, a digit, a digit or letter, then optionally a dot and up to "
            "four characters (I50.21)."
        )
    return None


def _snomed(code: str) -> str | None:
    if not _SNOMED.match(code):
        return f"{code!r} is not a SNOMED CT identifier: 6 to 18 digits, not starting with 0."
    if not verhoeff_valid(code):
        return f"{code!r} is not a SNOMED CT identifier: its last digit is not the Verhoeff check digit."
    return None


def _loinc(code: str) -> str | None:
    match = _LOINC.match(code)
    if not match:
        return f"{code!r} is not a LOINC code: digits, a hyphen and a check digit (8480-6)."
    expected = mod10_check_digit(match.group(1))
    if expected != int(match.group(2)):
        return f"{code!r} is not a LOINC code: its check digit should be {expected}."
    return None


def _rxnorm(code: str) -> str | None:
    if not _RXNORM.match(code):
        return f"{code!r} is not an RxNorm concept id (RXCUI): 1 to 9 digits, not starting with 0."
    return None


def _atc(code: str) -> str | None:
    if not _ATC.match(code):
        return f"{code!r} is not an ATC code: C, C09, C09A, C09AA or C09AA05, for example."
    return None


def _omop(code: str) -> str | None:
    if not _OMOP.match(code) or int(code) > OMOP_CONCEPT_ID_MAX:
        return f"{code!r} is not an OMOP concept id: a whole number from 0 to {OMOP_CONCEPT_ID_MAX}."
    return None


_CHECKS = {ICD10: _icd10, ICD10CM: _icd10cm, SNOMED: _snomed, LOINC: _loinc, RXNORM: _rxnorm, ATC: _atc, OMOP: _omop}


def code_problem(vocabulary: str, code: str) -> str | None:
    """Why `code` is not a well-formed code of `vocabulary`, or None when it is."""
    if vocabulary not in _CHECKS:
        return f"{vocabulary!r} is not a vocabulary: use one of {', '.join(VOCABULARIES)}."
    return _CHECKS[vocabulary](code)
