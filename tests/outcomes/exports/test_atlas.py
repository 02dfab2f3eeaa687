"""The ATLAS export: per outcome an OHDSI concept set expression, and the population's; validated with the
ohdsi-cohort-schemas models (ConceptSetExpression, ConceptSet)."""

from __future__ import annotations

import pytest
from ohdsi_cohort_schemas.models.concept_set import ConceptSet, ConceptSetExpression

from outcomes.exports.atlas import version_atlas
from outcomes.services.mapping import mapping_propose
from tests.factories import ConditionFactory, Icd10CodeFactory
from tests.outcomes.exports.conftest import load
from tests.outcomes.omop import SYNTHETIC_ICD10, SYNTHETIC_SNOMED, item, load_synthetic_vocabulary, reviewed_mapping

pytestmark = pytest.mark.django_db


def _validate(document: dict) -> None:
    for entry in [document["population"], *document["outcomes"]]:
        ConceptSetExpression.model_validate(entry["expression"])
        ConceptSet.model_validate({"id": 0, "name": entry.get("name", "population"), "expression": entry["expression"]})


def test_every_shipped_version_exports_valid_expressions_and_every_outcome_is_not_yet_mapped(all_reference_versions):
    for version in all_reference_versions:
        document = version_atlas(version)
        _validate(document)
        assert document["format"] == "cos-registry/atlas/1" and document["version"] == version.version
        assert all(not o["mapped"] and o["mapping_revision"] is None for o in document["outcomes"])
        assert len(document["outcomes"]) == version.outcomes.count()


def test_without_a_vocabulary_the_population_codes_are_listed_unresolved_never_given_invented_ids(reference_data):
    document = version_atlas(load("ichom-heart-failure", "1.0.0"))
    population = document["population"]
    assert population["expression"] == {"items": []} and population["complete"] is False
    codes = {(u["source"]["vocabulary"], u["source"]["code"]) for u in population["unresolved"]}
    assert ("SNOMED", "84114007") in codes and ("ICD10", "I50") in codes
    assert all(u["concept"]["CONCEPT_ID"] is None and u["reason"] for u in population["unresolved"])


def test_a_reviewed_mapping_is_exported_with_its_revision_and_unresolved_items_are_said_so(reference_data, curator):
    version = load("ichom-heart-failure", "1.0.0")
    outcome = version.outcomes.all()[0]
    reviewed_mapping(
        outcome,
        curator,
        item("OMOP", "4306655", name="Death", domain="death"),
        item("SNOMED", "84114007", name="Heart failure", is_excluded=True, include_descendants=False),
    )
    document = version_atlas(load("ichom-heart-failure", "1.0.0"))
    _validate(document)
    entry = next(o for o in document["outcomes"] if o["identity"] == str(outcome.identity))
    assert entry["mapped"] and entry["mapping_revision"] == 1 and entry["complete"] is False
    [resolved] = entry["expression"]["items"]
    assert resolved["concept"]["CONCEPT_ID"] == 4306655 and resolved["concept"]["DOMAIN_ID"] == "Death"
    [unresolved] = entry["unresolved"]
    assert unresolved["concept"]["CONCEPT_ID"] is None and unresolved["concept"]["CONCEPT_CODE"] == "84114007"
    assert unresolved["isExcluded"] is True and unresolved["includeDescendants"] is False


def test_a_proposal_not_yet_reviewed_is_not_exported(reference_data, curator):
    version = load("ichom-heart-failure", "1.0.0")
    mapping_propose(outcome=version.outcomes.all()[0], items=[item(name="Heart failure")], by=curator)
    document = version_atlas(load("ichom-heart-failure", "1.0.0"))
    assert not any(o["mapped"] for o in document["outcomes"])


def test_with_a_vocabulary_codes_resolve_to_standard_concepts_with_their_vocabulary_row(reference_data, curator):
    load_synthetic_vocabulary()
    version = load("ichom-heart-failure", "1.0.0")
    condition = ConditionFactory(name="Synthetic condition", snomed_ct_id=SYNTHETIC_SNOMED)
    Icd10CodeFactory(condition=condition, code=SYNTHETIC_ICD10)
    version.core_outcome_set.conditions.set([condition])
    outcome = version.outcomes.all()[0]
    reviewed_mapping(outcome, curator, item("ICD10", SYNTHETIC_ICD10, name="Synthetic heart condition (source code)"))
    document = version_atlas(load("ichom-heart-failure", "1.0.0"))
    _validate(document)
    population = document["population"]
    assert population["complete"] is True and population["unresolved"] == []
    assert [i["concept"]["CONCEPT_ID"] for i in population["expression"]["items"]] == [2000000001, 2000000001]
    entry = next(o for o in document["outcomes"] if o["identity"] == str(outcome.identity))
    [exported] = entry["expression"]["items"]
    assert exported["concept"] == {
        "CONCEPT_ID": 2000000001,
        "CONCEPT_NAME": "Synthetic heart condition",
        "STANDARD_CONCEPT": "S",
        "CONCEPT_CODE": SYNTHETIC_SNOMED,
        "CONCEPT_CLASS_ID": "Clinical Finding",
        "VOCABULARY_ID": "SNOMED",
        "DOMAIN_ID": "Condition",
        "INVALID_REASON": None,
    }
