"""The concept sets a version's exports carry: per outcome the latest reviewed revision (or none: not yet mapped),
and the population's codes, its conditions' ICD-10 and SNOMED CT codes. One definition for the JSON, ATLAS, FHIR
and CSV exports; the JSON shape is the contract the feasibility runner reads (docs/network.md)."""

from __future__ import annotations

from dataclasses import dataclass

from outcomes.models import ConceptSetRevision, CoreOutcomeSet, CoreOutcomeSetVersion, Outcome
from outcomes.selectors.mapping import version_concept_sets
from outcomes.vocabularies import ICD10, SNOMED


def outcome_concept_set(version: CoreOutcomeSetVersion, outcome: Outcome) -> ConceptSetRevision | None:
    return version_concept_sets(version).get(outcome.identity)


def concept_set_document(revision: ConceptSetRevision | None) -> dict | None:
    """An outcome's `concept_set` in the version document: null when not yet mapped."""
    if revision is None:
        return None
    return {
        "revision": revision.number,
        "status": revision.status,
        "counts_all_deaths": revision.counts_all_deaths,
        "window": revision.window,
        "items": [
            {
                "vocabulary": item.vocabulary,
                "code": item.code,
                "name": item.name,
                "concept_id": item.concept_id,
                "include_descendants": item.include_descendants,
                "include_mapped": item.include_mapped,
                "is_excluded": item.is_excluded,
                "domain": item.domain,
            }
            for item in revision.items.all()
        ],
    }


@dataclass(frozen=True)
class PopulationCode:
    vocabulary: str
    code: str
    name: str
    condition: str


def population_codes(cos: CoreOutcomeSet) -> list[PopulationCode]:
    """The set's conditions' codes (prefetch `conditions__icd10_codes`), SNOMED CT first."""
    codes: list[PopulationCode] = []
    seen = set()
    for condition in cos.conditions.all():
        pairs = [(SNOMED, condition.snomed_ct_id)] if condition.snomed_ct_id else []
        pairs += [(ICD10, code.code) for code in condition.icd10_codes.all()]
        for vocabulary, code in pairs:
            if (vocabulary, code) not in seen:
                seen.add((vocabulary, code))
                codes.append(PopulationCode(vocabulary, code, condition.name, condition.slug))
    return codes


def codes_text(revision: ConceptSetRevision | None) -> str:
    """A concept set in one line for a table cell: `SNOMED 84114007; NOT ICD10 I50.1` (or empty)."""
    if revision is None:
        return ""
    parts = [f"{'NOT ' if i.is_excluded else ''}{i.vocabulary} {i.code}" for i in revision.items.all()]
    if revision.counts_all_deaths:
        parts.insert(0, "any death")
    return "; ".join(parts)
