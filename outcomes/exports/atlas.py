"""ATLAS: per outcome an OHDSI concept set expression, plus the population's, in one JSON document.

Each `expression` is what ATLAS imports (Concept Sets > Import > Concept Set Expression, `{"items": [{"concept":
{...}, "isExcluded", "includeDescendants", "includeMapped"}]}`). An item needs an OMOP concept id; a code whose id is
not known (no OMOP vocabulary loaded in the registry, or a code the vocabulary lacks) is never given an invented id:
it is listed under `unresolved` with `"CONCEPT_ID": null` and the reason, and `complete` is false.
"""

from __future__ import annotations

import orjson

from outcomes.exports import is_draft, version_page_url
from outcomes.exports.concept_sets import outcome_concept_set, population_codes
from outcomes.models import CoreOutcomeSetVersion, OmopConcept
from outcomes.services.omop_vocabulary import codes_resolve, concepts_by_id
from outcomes.vocabularies import OMOP, OMOP_DOMAIN_ID

DOCUMENT_FORMAT = "cos-registry/atlas/1"
NO_VOCABULARY = "no OMOP concept id: the code is not in an OMOP vocabulary loaded in the registry"
NO_STANDARD = "the code has no standard concept in the loaded OMOP vocabulary"


def _concept(concept: OmopConcept) -> dict:
    return {
        "CONCEPT_ID": concept.concept_id,
        "CONCEPT_NAME": concept.concept_name,
        "STANDARD_CONCEPT": concept.standard_concept or None,
        "CONCEPT_CODE": concept.concept_code,
        "CONCEPT_CLASS_ID": concept.concept_class_id,
        "VOCABULARY_ID": concept.vocabulary_id,
        "DOMAIN_ID": concept.domain_id,
        "INVALID_REASON": concept.invalid_reason or None,
    }


def _given(*, concept_id: int | None, name: str, vocabulary: str, code: str, domain: str) -> dict:
    """An item's concept as the registry knows it without the vocabulary's row: an OMOP concept id given directly
    has no known code or vocabulary (empty strings; ATLAS reads the concept by its id), and the domain is the one
    the outcome is expected in."""
    return {
        "CONCEPT_ID": concept_id,
        "CONCEPT_NAME": name,
        "STANDARD_CONCEPT": None,
        "CONCEPT_CODE": "" if vocabulary == OMOP else code,
        "CONCEPT_CLASS_ID": None,
        "VOCABULARY_ID": "" if vocabulary == OMOP else vocabulary,
        "DOMAIN_ID": OMOP_DOMAIN_ID.get(domain, domain),
        "INVALID_REASON": None,
    }


def _expression(entries: list[dict], concepts: dict[int, OmopConcept], reason: str = NO_VOCABULARY) -> dict:
    """Split items into the ATLAS expression (those with a concept id) and the unresolved ones."""
    items, unresolved = [], []
    for entry in entries:
        flags = {
            "isExcluded": entry["is_excluded"],
            "includeDescendants": entry["include_descendants"],
            "includeMapped": entry["include_mapped"],
        }
        source = {"vocabulary": entry["vocabulary"], "code": entry["code"]}
        concept_id = entry["concept_id"]
        given = _given(**{k: entry[k] for k in ("concept_id", "name", "vocabulary", "code", "domain")})
        if concept_id is None:
            unresolved.append({"concept": given, **flags, "source": source, "reason": entry.get("reason", reason)})
            continue
        known = concepts.get(concept_id)
        items.append({"concept": _concept(known) if known else given, **flags})
    return {"expression": {"items": items}, "unresolved": unresolved, "complete": not unresolved}


def _population(version: CoreOutcomeSetVersion) -> list[dict]:
    codes = population_codes(version.core_outcome_set)
    resolved = codes_resolve([(c.vocabulary, c.code) for c in codes])
    entries = []
    for code in codes:
        found = resolved.get((code.vocabulary, code.code))
        standard = found.standard if found else None
        entries.append(
            {
                "vocabulary": code.vocabulary,
                "code": code.code,
                "name": found.source.concept_name if found else code.name,
                "concept_id": standard.concept_id if standard else None,
                "domain": "condition",
                "is_excluded": False,
                "include_descendants": True,
                "include_mapped": False,
                "reason": NO_STANDARD if found else NO_VOCABULARY,
            }
        )
    return entries


def version_atlas(version: CoreOutcomeSetVersion) -> dict:
    """The ATLAS document of a (prefetched) version: selectors.version_document_queryset."""
    cos = version.core_outcome_set
    outcomes = [(outcome, outcome_concept_set(version, outcome)) for outcome in version.outcomes.all()]
    population = _population(version)
    concept_ids = [e["concept_id"] for e in population if e["concept_id"] is not None]
    for _, revision in outcomes:
        if revision is not None:
            concept_ids += [i.concept_id for i in revision.items.all() if i.concept_id is not None]
    concepts = concepts_by_id(concept_ids) if concept_ids else {}
    documents = []
    for outcome, revision in outcomes:
        entry = {
            "identity": str(outcome.identity),
            "name": outcome.name,
            "mapped": revision is not None,
            "mapping_revision": revision.number if revision else None,
            "counts_all_deaths": revision.counts_all_deaths if revision else False,
            "window": revision.window if revision else None,
        }
        if revision is None:
            documents.append({**entry, "expression": {"items": []}, "unresolved": [], "complete": False})
            continue
        items = [
            {
                "vocabulary": i.vocabulary,
                "code": i.code,
                "name": i.name,
                "concept_id": i.concept_id,
                "domain": i.domain,
                "is_excluded": i.is_excluded,
                "include_descendants": i.include_descendants,
                "include_mapped": i.include_mapped,
            }
            for i in revision.items.all()
        ]
        documents.append({**entry, **_expression(items, concepts)})
    return {
        "format": DOCUMENT_FORMAT,
        "set": cos.slug,
        "title": cos.title,
        "version": version.version,
        "status": version.status,
        "draft": is_draft(version),
        "canonical_url": version_page_url(slug=cos.slug, version=version.version),
        "population": {
            "name": f"{cos.title}: population",
            "conditions": [c.slug for c in cos.conditions.all()],
            **_expression(population, concepts),
        },
        "outcomes": documents,
    }


def version_atlas_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(version_atlas(version), option=orjson.OPT_INDENT_2)
