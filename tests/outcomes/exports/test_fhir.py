from __future__ import annotations

import copy

import pytest
from django.conf import settings

from outcomes.exports.fhir import bundle_validate, version_bundle
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db


def test_every_reference_version_exports_a_bundle_that_validates(all_reference_versions):
    assert len(all_reference_versions) == 13
    for version in all_reference_versions:
        bundle = version_bundle(version)
        assert bundle_validate(bundle) == [], str(version)
        assert len(bundle["entry"]) == 1 + version.outcomes.count()


def test_the_bundle_is_a_collection_led_by_an_outcome_list_of_the_r5_ballot(reference_data):
    bundle = version_bundle(load("ichom-heart-failure", "1.0.0"))
    assert bundle["type"] == "collection"
    outcome_list = bundle["entry"][0]["resource"]
    assert outcome_list["resourceType"] == "List"
    assert outcome_list["meta"]["profile"] == [
        "http://hl7.org/fhir/uv/ebm/StructureDefinition/outcome-list|1.0.0-ballot"
    ]
    assert outcome_list["code"]["coding"] == [
        {"system": "https://fevir.net/resources/CodeSystem/179423", "code": "OutcomeList", "display": "OutcomeList"}
    ]
    assert outcome_list["status"] == "current" and outcome_list["mode"] == "snapshot"
    canonical = f"{settings.SITE_URL}/sets/ichom-heart-failure/v/1.0.0/"
    assert {"url": "http://hl7.org/fhir/StructureDefinition/artifact-url", "valueUri": canonical} in outcome_list[
        "extension"
    ]
    cite_as = next(e["valueRelatedArtifact"] for e in outcome_list["extension"] if "valueRelatedArtifact" in e)
    assert cite_as["publicationStatus"] == "active" and cite_as["publicationDate"] == "2020-01-01"
    referenced = [e["item"]["reference"] for e in outcome_list["entry"]]
    assert referenced == [e["fullUrl"] for e in bundle["entry"][1:]]


def test_an_evidence_variable_carries_domains_timing_handling_and_references(reference_data):
    bundle = version_bundle(load("ichom-coronary-artery-disease", "1.0.1"))
    variables = [e["resource"] for e in bundle["entry"][1:]]
    ev = variables[0]
    assert ev["resourceType"] == "EvidenceVariable" and ev["version"] == "1.0.1" and ev["status"] == "active"
    assert ev["title"] and ev["name"][0].isupper() and ev["description"]
    domain = next(c for c in ev["category"] if c["name"] == "COMET outcome domain")
    assert domain["valueCodeableConcept"]["coding"][0]["code"].isdigit()
    notes = [n["text"] for v in variables for n in v.get("note", [])]
    assert any("timing: Index event, 30 days, then annually for 5 years" in note for note in notes)
    assert all("characteristic" not in v for v in variables)  # VariableDefinition: characteristic 0..0
    assert {a["type"] for a in ev["relatedArtifact"]} >= {"part-of", "citation"}
    citation = next(a for a in ev["relatedArtifact"] if a["type"] == "citation")
    assert citation["document"]["url"] == "https://doi.org/10.1161/JAHA.115.001767"
    survival = next(v for v in variables if "mortality" in v["title"].lower() or "survival" in v["title"].lower())
    assert survival["handling"] == "dichotomous"


def test_versions_link_to_their_predecessor_and_successor(reference_data):
    old = version_bundle(load("localised-prostate-cancer-compacters", "1.0.0"))
    new = version_bundle(load("localised-prostate-cancer-compacters", "1.1.0"))
    old_links = {(a["type"], a["label"]) for a in old["entry"][1]["resource"]["relatedArtifact"] if "label" in a}
    new_links = {(a["type"], a["label"]) for a in new["entry"][1]["resource"]["relatedArtifact"] if "label" in a}
    assert old_links == {("successor", "1.1.0")}
    assert new_links == {("predecessor", "1.0.0")}
    assert old["entry"][0]["resource"]["status"] == "retired"
    assert old["entry"][1]["resource"]["status"] == "retired"
    # The same outcome keeps its canonical URL across versions; only `version` differs.
    assert old["entry"][1]["resource"]["url"] == new["entry"][1]["resource"]["url"]


def test_a_correction_and_the_version_it_corrects_say_so_in_their_links(reference_data):
    old = version_bundle(load("ichom-coronary-artery-disease", "1.0.0"))
    new = version_bundle(load("ichom-coronary-artery-disease", "1.0.1"))

    def links(bundle: dict) -> dict:
        return {a["type"]: a["display"] for a in bundle["entry"][1]["resource"]["relatedArtifact"] if "label" in a}

    assert links(old) == {
        "successor": "ICHOM Standard Set for coronary artery disease, version 1.0.1 (corrects this version)"
    }
    assert links(new) == {
        "predecessor": "ICHOM Standard Set for coronary artery disease, version 1.0.0 (corrected by this version)"
    }
    assert new["entry"][1]["resource"]["title"] == "Acute complications within 30 days of AMI, CABG or PCI"
    assert bundle_validate(new) == []


def test_a_set_without_recorded_outcomes_exports_an_empty_list_with_a_reason(reference_data):
    bundle = version_bundle(load("harmony-acute-myeloid-leukaemia", "1.0.0"))
    assert len(bundle["entry"]) == 1
    assert bundle["entry"][0]["resource"]["emptyReason"]["text"]
    assert bundle_validate(bundle) == []


@pytest.fixture
def valid_bundle(reference_data) -> dict:
    return version_bundle(load("ichom-heart-failure", "1.0.0"))


def test_the_validator_rejects_a_handling_outside_its_value_set(valid_bundle):
    bundle = copy.deepcopy(valid_bundle)
    bundle["entry"][1]["resource"]["handling"] = "boolean"
    assert any("handling 'boolean'" in p for p in bundle_validate(bundle))


def test_the_validator_rejects_a_characteristic_that_variable_definition_forbids(valid_bundle):
    bundle = copy.deepcopy(valid_bundle)
    bundle["entry"][1]["resource"]["characteristic"] = [{"definitionCanonical": "http://example.org/x"}]
    assert any("EvidenceVariable.characteristic: max 0, found 1" in p for p in bundle_validate(bundle))


def test_the_validator_rejects_a_list_status_and_a_dangling_entry(valid_bundle):
    bundle = copy.deepcopy(valid_bundle)
    bundle["entry"][0]["resource"]["status"] = "active"
    bundle["entry"][0]["resource"]["entry"][0]["item"]["reference"] = "urn:uuid:00000000-0000-0000-0000-000000000000"
    problems = bundle_validate(bundle)
    assert any("list-status" in p for p in problems)
    assert any("does not resolve" in p for p in problems)


def test_the_validator_reports_what_fhir_resources_rejects(valid_bundle):
    bundle = copy.deepcopy(valid_bundle)
    bundle["entry"][1]["resource"]["note"] = "Baseline"  # must be a list of Annotations
    assert any(p.startswith("entry[1] EvidenceVariable:") for p in bundle_validate(bundle))


def test_a_version_with_a_doi_is_cited_by_it_in_the_bundle(reference_data):
    version = load("ichom-heart-failure", "1.0.0")
    version.doi = "10.5555/cos-hf"
    outcome_list = version_bundle(version)["entry"][0]["resource"]
    cite_as = next(
        e["valueRelatedArtifact"]
        for e in outcome_list["extension"]
        if e.get("valueRelatedArtifact", {}).get("type") == "cite-as"
    )
    assert cite_as["document"] == {"url": "https://doi.org/10.5555/cos-hf"}
    assert cite_as["citation"].endswith("doi:10.5555/cos-hf")
