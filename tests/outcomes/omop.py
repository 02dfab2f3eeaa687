"""Helpers of the concept set tests: the SYNTHETIC OMOP vocabulary fixture and a reviewed mapping in one call."""

from __future__ import annotations

from pathlib import Path

from outcomes.models import ConceptSetRevision, Outcome
from outcomes.services.mapping import ItemInput, mapping_propose, mapping_review
from outcomes.services.omop_vocabulary import vocabulary_load

# Real Athena layout, fake content: concept ids >= 2,000,000,000, made-up codes (see its README.md).
SYNTHETIC_VOCABULARY = Path(__file__).parent / "omop_vocabulary_synthetic"
SYNTHETIC_SNOMED = "9999910005"  # concept 2000000001, standard, two descendants
SYNTHETIC_SNOMED_CHILD = "9999920000"  # concept 2000000002
SYNTHETIC_SNOMED_NONSTANDARD = "9999940007"  # concept 2000000004, maps to nothing
SYNTHETIC_ICD10 = "U99"  # concept 2000000010, non-standard, 'Maps to' 2000000001
SYNTHETIC_LOINC = "99991-2"  # concept 2000000020, Measurement


def load_synthetic_vocabulary() -> None:
    vocabulary_load(SYNTHETIC_VOCABULARY)


def item(vocabulary: str = "SNOMED", code: str = "84114007", **changes) -> ItemInput:
    fields = {"name": "", "domain": "condition", **changes}
    return ItemInput(vocabulary=vocabulary, code=code, **fields)


def reviewed_mapping(outcome: Outcome, curator, *items: ItemInput, **options) -> ConceptSetRevision:
    proposal = mapping_propose(outcome=outcome, items=list(items), by=curator, **options)
    return mapping_review(revision=proposal.revision, by=curator)
