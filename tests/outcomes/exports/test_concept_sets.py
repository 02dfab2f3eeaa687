"""The outcome concept sets in the JSON document (the contract the feasibility runner reads), FHIR and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from outcomes.exports.csv import version_csv
from outcomes.exports.fhir import bundle_validate, version_bundle
from outcomes.exports.json import DOCUMENT_FORMAT, version_document
from tests.outcomes.exports.conftest import load
from tests.outcomes.omop import item, reviewed_mapping

pytestmark = pytest.mark.django_db

SLUG, NUMBER = "ichom-heart-failure", "1.0.0"


@pytest.fixture
def mapped(reference_data, curator):
    """The first outcome of the set, mapped twice: revision 2 is the latest reviewed one."""
    outcome = load(SLUG, NUMBER).outcomes.all()[0]
    reviewed_mapping(outcome, curator, item(name="Heart failure"))
    reviewed_mapping(
        outcome,
        curator,
        item(name="Heart failure"),
        item("ICD10", "I50.1", name="Left ventricular failure", is_excluded=True, include_descendants=False),
        item("OMOP", "4306655", name="Death", domain="death", include_mapped=True),
        window=(0, 30),
    )
    return outcome


def test_every_shipped_outcome_says_not_yet_mapped(all_reference_versions):
    for version in all_reference_versions:
        document = version_document(version)
        assert document["format"] == DOCUMENT_FORMAT
        assert all(outcome["concept_set"] is None for outcome in document["outcomes"])


def test_the_document_carries_the_latest_reviewed_revision_as_the_contract_says(mapped):
    outcomes = version_document(load(SLUG, NUMBER))["outcomes"]
    concept_set = next(o["concept_set"] for o in outcomes if o["identity"] == str(mapped.identity))
    assert concept_set == {
        "revision": 2,
        "status": "reviewed",
        "counts_all_deaths": False,
        "window": {"start_day": 0, "end_day": 30},
        "items": [
            {
                "vocabulary": "SNOMED",
                "code": "84114007",
                "name": "Heart failure",
                "concept_id": None,
                "include_descendants": True,
                "include_mapped": False,
                "is_excluded": False,
                "domain": "condition",
            },
            {
                "vocabulary": "ICD10",
                "code": "I50.1",
                "name": "Left ventricular failure",
                "concept_id": None,
                "include_descendants": False,
                "include_mapped": False,
                "is_excluded": True,
                "domain": "condition",
            },
            {
                "vocabulary": "OMOP",
                "code": "4306655",
                "name": "Death",
                "concept_id": 4306655,
                "include_descendants": True,
                "include_mapped": True,
                "is_excluded": False,
                "domain": "death",
            },
        ],
    }
    assert sum(o["concept_set"] is None for o in outcomes) == len(outcomes) - 1


def test_the_document_of_a_version_reads_the_concept_sets_in_a_constant_number_of_queries(
    mapped, curator, django_assert_max_num_queries
):
    version = load(SLUG, NUMBER)
    for outcome in version.outcomes.all()[1:4]:
        reviewed_mapping(outcome, curator, item("ICD10", "I50", name="Heart failure"))
    version = load(SLUG, NUMBER)
    with django_assert_max_num_queries(2):  # the revisions and their items, whatever the number of outcomes
        version_document(version)


def test_the_fhir_evidence_variable_carries_the_codes_and_still_validates(mapped):
    bundle = version_bundle(load(SLUG, NUMBER))
    assert bundle_validate(bundle) == []
    variable = next(
        e["resource"]
        for e in bundle["entry"][1:]
        if e["resource"]["identifier"][0]["value"] == f"urn:uuid:{mapped.identity}"
    )
    by_link = {c["linkId"]: c for c in variable["characteristic"]}
    included = by_link["concept-set"]
    assert "mapping revision 2" in included["description"]
    assert {"system": "http://snomed.info/sct", "code": "84114007", "display": "Heart failure"} in included[
        "definitionCodeableConcept"
    ]["coding"]
    assert {"system": "https://fhir-terminology.ohdsi.org", "code": "4306655", "display": "Death"} in included[
        "definitionCodeableConcept"
    ]["coding"]
    excluded = by_link["concept-set-excluded"]
    assert excluded["exclude"] is True
    assert excluded["definitionCodeableConcept"]["coding"] == [
        {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I50.1", "display": "Left ventricular failure"}
    ]


def test_the_csv_names_the_mapping_revision_and_codes_or_not_yet_mapped(mapped):
    rows = list(csv.DictReader(io.StringIO(version_csv(load(SLUG, NUMBER)))))
    mine = [r for r in rows if r["outcome_identity"] == str(mapped.identity)]
    assert {r["concept_set_revision"] for r in mine} == {"2"}
    assert mine[0]["concept_set_codes"] == "SNOMED 84114007; NOT ICD10 I50.1; OMOP 4306655"
    assert all(r["concept_set_codes"] == "not yet mapped" for r in rows if r not in mine)


def test_a_coded_outcome_claims_no_profile_that_forbids_its_characteristics_and_the_others_keep_theirs(mapped):
    bundle = version_bundle(load(SLUG, NUMBER))
    variables = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "EvidenceVariable"]
    coded = [v for v in variables if "characteristic" in v]
    assert [v["identifier"][0]["value"] for v in coded] == [f"urn:uuid:{mapped.identity}"]
    assert "meta" not in coded[0]  # VariableDefinition forbids characteristic (0..0)
    definition = coded[0]["extension"][0]["valueCodeableReference"]["concept"]
    assert {"system": "http://snomed.info/sct", "code": "84114007", "display": "Heart failure"} in definition["coding"]
    assert all(c["code"] != "I50.1" for c in definition["coding"])  # excluded codes are not the definition
    others = [v for v in variables if "characteristic" not in v]
    assert others and all(v["meta"]["profile"][0].split("|")[0].endswith("/variable-definition") for v in others)
    outcome_list = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "List")
    assert "meta" not in outcome_list  # OutcomeList admits VariableDefinition entries only


def test_an_unmapped_version_claims_the_outcome_list_profile(all_reference_versions):
    for version in all_reference_versions:
        outcome_list = next(
            e["resource"] for e in version_bundle(version)["entry"] if e["resource"]["resourceType"] == "List"
        )
        assert outcome_list["meta"]["profile"][0].split("|")[0].endswith("/outcome-list"), version
