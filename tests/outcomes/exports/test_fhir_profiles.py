"""The FHIR export against the EBM-on-FHIR profiles it claims (hl7.fhir.uv.ebm#1.0.0-ballot), driven by the vendored
StructureDefinitions: every constraint of their differentials is checked on every shipped set, and every constraint
is shown to catch a resource that breaks it."""

from __future__ import annotations

import copy

import pytest

from outcomes.exports.fhir import bundle_validate, version_bundle
from outcomes.exports.fhir_profiles import (
    EBM_IG_VERSION,
    OUTCOME_IMPORTANCE,
    OUTCOME_LIST,
    VARIABLE_DEFINITION,
    profile_problems,
    structure_definitions,
)
from outcomes.models import ConsensusProcess, Item, ItemResult, Round, RoundItem
from tests.factories import OutcomeFactory, VersionFactory
from tests.outcomes.exports.conftest import load

pytestmark = pytest.mark.django_db

PROFILE_BY_TYPE = {
    "List": OUTCOME_LIST,
    "EvidenceVariable": VARIABLE_DEFINITION,
    "ArtifactAssessment": OUTCOME_IMPORTANCE,
}


def _resolver(bundle: dict):
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    return by_url.get


def test_the_vendored_profiles_are_the_r5_ballot_ones():
    definitions = structure_definitions()
    assert set(PROFILE_BY_TYPE.values()) <= set(definitions)
    for url in PROFILE_BY_TYPE.values():
        assert definitions[url]["fhirVersion"] == "5.0.0"
    assert "http://hl7.org/fhir/uv/ebm/StructureDefinition/outcome-variables-list" not in definitions


def test_every_shipped_version_claims_only_the_profiles_it_conforms_to_with_their_version(all_reference_versions):
    assert len(all_reference_versions) == 13
    for version in all_reference_versions:
        bundle = version_bundle(version)
        resolve = _resolver(bundle)
        for entry in bundle["entry"]:
            resource = entry["resource"]
            claims = resource["meta"]["profile"]
            assert claims == [f"{PROFILE_BY_TYPE[resource['resourceType']]}|{EBM_IG_VERSION}"], str(version)
            assert profile_problems(resource, claims[0], resolve) == [], (str(version), resource["resourceType"])


# ---------------------------------------------------------------------------------------- a consensus outcome


def _decided_version(kind: str = Round.Kind.DELPHI, **result):
    """A version built by a consensus process (synthetic), with one outcome the process decided in round 2."""
    version = VersionFactory()
    process = ConsensusProcess.objects.create(
        core_outcome_set=version.core_outcome_set, draft_version=version, title="Synthetic panel"
    )
    round_ = Round.objects.create(process=process, number=2, kind=kind)
    item = Item.objects.create(process=process, name="Synthetic outcome")
    evidence = ItemResult.objects.create(round_item=RoundItem.objects.create(round=round_, item=item), **result)
    OutcomeFactory(version=version, name="Synthetic outcome", evidence=evidence)
    OutcomeFactory(version=version, name="Not from the panel")
    return load(version.core_outcome_set.slug, version.version)


@pytest.fixture
def decided_bundle(reference_data) -> dict:
    version = _decided_version(n=20, n_high=17, pct_high="85.00", classification=ItemResult.Classification.IN)
    return version_bundle(version)


def test_a_consensus_meeting_result_is_summarised_over_the_votes_cast(reference_data):
    version = _decided_version(
        Round.Kind.MEETING,
        votes_cast=10,
        n_include=7,
        n_exclude=3,
        n_abstain=2,
        pct_high="70.00",
        classification=ItemResult.Classification.IN,
    )
    bundle = version_bundle(version)
    (assessment,) = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "ArtifactAssessment"]
    assert assessment["content"][0]["summary"] == (
        "70.00% of the 10 votes cast voted include at the consensus meeting (round 2); 2 abstained, in the consensus "
        "process \u201cSynthetic panel\u201d: Consensus in."
    )
    assert bundle_validate(bundle) == []


def test_a_consensus_result_is_published_as_an_outcome_importance_assessment(decided_bundle):
    assessments = [
        e["resource"] for e in decided_bundle["entry"] if e["resource"]["resourceType"] == "ArtifactAssessment"
    ]
    assert len(assessments) == 1  # only the outcome the panel decided
    (assessment,) = assessments
    variable = next(e for e in decided_bundle["entry"] if e["resource"].get("title") == "Synthetic outcome")
    assert assessment["artifactReference"]["reference"] == variable["fullUrl"]
    content = assessment["content"][0]
    assert content["classifier"] == [{"text": "Consensus in"}]
    assert content["summary"].startswith(
        "85.00% of the 20 panelists who scored it scored 7-9 (critical) in Delphi round 2"
    )
    assert "Synthetic panel" in content["summary"]
    assert "quantity" not in content  # the profile's quantity is importance relative to a reference outcome
    assert bundle_validate(decided_bundle) == []


# ------------------------------------------------------------------------- every constraint catches a breach


def _parents(resource: dict, steps: list[str]) -> list[dict]:
    """The nodes holding the last step, creating empty ones on the way (the first item of each list)."""
    node = resource
    for step in steps:
        key = step.removesuffix("[x]")
        value = node.get(key)
        if value is None:
            value = node[key] = [{}] if key in ("content", "extension", "entry", "coding", "category") else {}
        node = value[0] if isinstance(value, list) else value
    return [node]


def _breaches(sd: dict) -> list[tuple[str, callable]]:
    """One breach per constraint of a differential: (element id, a function that breaks a resource)."""
    breaches = []
    for element in sd["differential"]["element"]:
        steps = element["path"].split(".")[1:]
        if not steps:
            continue
        *head, last = steps
        key = last.removesuffix("[x]")
        if "sliceName" in element:
            url = element["type"][0]["profile"][0]
            if element.get("min", 0) >= 1:

                def drop_slice(r, head=head, key=key, url=url):
                    for parent in _parents(r, head):
                        parent[key] = [e for e in parent.get(key, []) if e.get("url") != url]

                breaches.append((element["id"], drop_slice))
            continue
        if element.get("max") == "0":
            breaches.append((element["id"], lambda r, head=head, key=key: _parents(r, head)[0].__setitem__(key, "x")))
        if element.get("min", 0) >= 1:
            breaches.append((element["id"], lambda r, head=head, key=key: _parents(r, head)[0].pop(key, None)))
        for name, value in element.items():
            if name.startswith(("pattern", "fixed")):
                wrong = {k: "wrong" for k in value} if isinstance(value, dict) else "wrong"
                breaches.append(
                    (
                        element["id"],
                        lambda r, head=head, key=key, wrong=wrong: _parents(r, head)[0].__setitem__(key, wrong),
                    )
                )
        targets = [p for t in element.get("type", []) for p in t.get("targetProfile", [])]
        if targets and element["type"][0]["code"] == "Reference":
            breaches.append(
                (
                    element["id"],
                    lambda r, head=head, key=key: _parents(r, head)[0].__setitem__(
                        key, {"reference": "urn:uuid:nowhere"}
                    ),
                )
            )
        if last.endswith("[x]") and element.get("type"):
            breaches.append(
                (element["id"], lambda r, head=head, key=key: _parents(r, head)[0].__setitem__(key + "String", "x"))
            )
    return breaches


@pytest.mark.parametrize("profile", [OUTCOME_LIST, VARIABLE_DEFINITION, OUTCOME_IMPORTANCE])
def test_every_constraint_of_a_claimed_profile_catches_a_resource_that_breaks_it(decided_bundle, profile):
    sample = next(
        e["resource"] for e in decided_bundle["entry"] if PROFILE_BY_TYPE[e["resource"]["resourceType"]] == profile
    )
    resolve = _resolver(decided_bundle)
    assert profile_problems(sample, profile, resolve) == []
    breaches = _breaches(structure_definitions()[profile])
    assert breaches
    for element_id, breach in breaches:
        broken = copy.deepcopy(sample)
        breach(broken)
        problems = profile_problems(broken, profile, resolve)
        assert any(p.startswith(element_id) for p in problems), (element_id, problems)


def test_the_required_extension_is_itself_checked_against_its_structure_definition(decided_bundle):
    variable = copy.deepcopy(decided_bundle["entry"][1]["resource"])
    variable["extension"][0] = {
        "url": variable["extension"][0]["url"],
        "valueString": "a definition in the wrong type",
    }
    problems = profile_problems(variable, VARIABLE_DEFINITION)
    assert any("Extension.value[x]: valueString is not one of ['valueCodeableReference']" in p for p in problems)
