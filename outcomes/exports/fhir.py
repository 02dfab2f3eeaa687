"""FHIR R5: a Bundle (type collection) of one List for the set version, one EvidenceVariable per outcome and, for an
outcome a consensus process of this registry decided, one ArtifactAssessment with that result.

Profiles claimed (outcomes/exports/fhir_profiles.py; EBM-on-FHIR IG `hl7.fhir.uv.ebm#1.0.0-ballot`, FHIR R5):
- the List: OutcomeList;
- each EvidenceVariable: VariableDefinition. The profile forbids `characteristic` (0..0) and requires the
  `evidence-variable-definition` extension, a CodeableReference whose `concept` defines the variable: the outcome's
  definition as text. How each outcome is measured (instrument, timing, note) is written in `note`.
  An outcome mapped to codes (a reviewed concept set, docs/network.md) carries them where data-network tools read
  them, in `characteristic.definitionCodeableConcept` (excluded codes in one marked `exclude`), and its included
  codes in the definition concept too; since VariableDefinition forbids characteristic, that EvidenceVariable
  claims no profile, and a List holding one claims no OutcomeList (which admits VariableDefinition entries only);
- each ArtifactAssessment: OutcomeImportance. It states the consensus result (classification and the agreement
  summary). It leaves out `content.quantity`, which the profile defines as importance relative to a reference
  outcome (a percentage of it), a number a Delphi process does not produce.

`bundle_validate` checks a bundle three times: structurally with the fhir.resources package (R5 models), against
every claimed profile's vendored StructureDefinition, and with this registry's own rules for what neither checks:
code bindings of the required value sets and List entries that resolve inside the bundle.
"""

from __future__ import annotations

import re
import uuid

import orjson
from django.conf import settings

from outcomes.exports import is_draft, version_page_url
from outcomes.exports.concept_sets import outcome_concept_set
from outcomes.exports.fhir_profiles import (
    EVIDENCE_VARIABLE_DEFINITION_EXT,
    OUTCOME_IMPORTANCE,
    OUTCOME_LIST,
    VARIABLE_DEFINITION,
    claimed_profile_problems,
    versioned,
)
from outcomes.models import (
    ConceptSetItem,
    ConceptSetRevision,
    CoreArea,
    CoreOutcomeSetVersion,
    Instrument,
    ItemResult,
    Outcome,
    Round,
)
from outcomes.selectors import corrected_in
from outcomes.selectors.translations import reviewed_texts
from outcomes.vocabularies import FHIR_SYSTEMS, OMOP

Status = CoreOutcomeSetVersion.Status

# The code the OutcomeList profile of the 1.0.0-ballot fixes on List.code (its patternCoding, system included).
OUTCOME_LIST_CODING = {
    "system": "https://fevir.net/resources/CodeSystem/179423",
    "code": "OutcomeList",
    "display": "OutcomeList",
}
OUTCOME_LIST_TEXT = "Outcome List"
EXT_ARTIFACT_URL = "http://hl7.org/fhir/StructureDefinition/artifact-url"
EXT_ARTIFACT_VERSION = "http://hl7.org/fhir/StructureDefinition/artifact-version"
EXT_ARTIFACT_DESCRIPTION = "http://hl7.org/fhir/StructureDefinition/artifact-description"
# FHIR core extension for a translation of a string element (language code and content).
EXT_TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
EXT_ARTIFACT_RELATED = "http://hl7.org/fhir/StructureDefinition/artifact-relatedArtifact"
URI_IDENTIFIER_SYSTEM = "urn:ietf:rfc:3986"
# Code systems of this registry: COMET domains and core areas (Dodd et al. 2018) and instruments by acronym.
COMET_DOMAIN_SYSTEM = "https://www.comet-initiative.org/taxonomy/domain"
COMET_CORE_AREA_SYSTEM = "https://www.comet-initiative.org/taxonomy/core-area"

# Required bindings (FHIR R5) checked by bundle_validate.
PUBLICATION_STATUS = {"draft", "active", "retired", "unknown"}
LIST_STATUS = {"current", "retired", "entered-in-error"}
LIST_MODE = {"working", "snapshot", "changes"}
HANDLING = {"continuous", "dichotomous", "ordinal", "polychotomous"}
RELATED_ARTIFACT_TYPE = {
    "documentation", "justification", "citation", "predecessor", "successor", "derived-from", "depends-on",
    "composed-of", "part-of", "amends", "amended-with", "appends", "appended-with", "cites", "cited-by",
    "comments-on", "comment-in", "contains", "contained-in", "corrects", "correction-in", "replaces",
    "replaced-with", "retracts", "retracted-by", "signs", "similar-to", "supports", "supported-with",
    "transforms", "transformed-into", "transformed-with", "documents", "specification-of", "created-with", "cite-as",
}  # fmt: skip
ASSESSMENT_INFORMATION_TYPE = {"comment", "classifier", "rating", "container", "response", "change-request"}

PUBLICATION_STATUS_BY_VERSION_STATUS = {
    Status.DRAFT: "draft",
    Status.IN_CONSENSUS: "draft",
    Status.PUBLISHED: "active",
    Status.SUPERSEDED: "retired",
    Status.WITHDRAWN: "retired",
}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "|".join(parts)))


def _computable_name(text: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", text)
    name = "".join(word[:1].upper() + word[1:] for word in words)
    if not name or not name[0].isalpha():
        name = "Outcome" + name
    return name[:255]


def evidence_variable_url(outcome: Outcome) -> str:
    return f"{settings.SITE_URL}/fhir/EvidenceVariable/{outcome.identity}"


def handling_for(outcome: Outcome) -> str:
    """How the variable is analysed. The registry does not record it, so it follows from the outcome's kind:
    death and adverse events are events (dichotomous), a clinician rating is a class (ordinal), the rest are
    scores or measures (continuous)."""
    areas = {d.core_area for d in outcome.domains.all()}
    if areas & {CoreArea.DEATH, CoreArea.ADVERSE_EVENTS}:
        return "dichotomous"
    kinds = {m.instrument.kind for m in outcome.measurements.all() if m.instrument_id}
    if kinds and kinds <= {Instrument.Kind.CLINRO}:
        return "ordinal"
    return "continuous"


def _version_link(version: CoreOutcomeSetVersion, kind: str, other: CoreOutcomeSetVersion, note: str = "") -> dict:
    slug = version.core_outcome_set.slug
    return {
        "type": kind,
        "label": other.version,
        "display": f"{version.core_outcome_set.title}, version {other.version}{note}",
        "document": {"url": version_page_url(slug=slug, version=other.version), "contentType": "text/html"},
    }


def _version_links(version: CoreOutcomeSetVersion) -> list[dict]:
    links = []
    if version.derived_from_id:
        note = " (corrected by this version)" if version.is_correction else ""
        links.append(_version_link(version, "predecessor", version.derived_from, note))
    successors = getattr(version, "public_successors", [])
    correction = corrected_in(version, successors)
    links.extend(
        _version_link(version, "successor", v, " (corrects this version)" if v == correction else "")
        for v in successors
    )
    return links


def _reference_artifacts(version: CoreOutcomeSetVersion) -> list[dict]:
    artifacts = []
    for ref in version.references.all():
        artifact = {"type": "citation", "citation": ref.citation}
        url = ref.doi_url or ref.url or (f"https://pubmed.ncbi.nlm.nih.gov/{ref.pmid}/" if ref.pmid else "")
        if url:
            artifact["document"] = {"url": url}
        artifacts.append(artifact)
    return artifacts


def measurement_note(measurement) -> str:
    """How an outcome is measured, as a sentence: VariableDefinition has no element for it (characteristic 0..0)."""
    instrument = measurement.instrument
    parts = [f"Measured with {instrument.acronym} ({instrument.name})" if instrument is not None else "Measured"]
    if measurement.timing:
        parts.append(f"timing: {measurement.timing}")
    text = "; ".join(parts) + "."
    return f"{text} {measurement.note}" if measurement.note else text


def variable_definition_extension(outcome: Outcome) -> dict:
    """The required `evidence-variable-definition` extension: the concept that defines the variable."""
    return {
        "url": EVIDENCE_VARIABLE_DEFINITION_EXT,
        "valueCodeableReference": {"concept": {"text": outcome.definition or outcome.name}},
    }


def _coding(item: ConceptSetItem) -> list[dict]:
    codings = [{"system": FHIR_SYSTEMS[item.vocabulary], "code": item.code, "display": item.name}]
    if item.concept_id is not None and item.vocabulary != OMOP:
        codings.append({"system": FHIR_SYSTEMS[OMOP], "code": str(item.concept_id)})
    return codings


def concept_set_characteristics(revision: ConceptSetRevision | None) -> list[dict]:
    """The outcome's codes (its latest reviewed concept set) as characteristics: the codes it includes, and the
    codes it excludes (`exclude`), each naming the mapping revision."""
    if revision is None:
        return []
    characteristics = []
    label = f"OMOP concept set, mapping revision {revision.number}"
    if revision.counts_all_deaths:
        characteristics.append(
            {
                "linkId": "concept-set-death",
                "description": f"{label}: any death counts (OMOP CDM death table)",
                "definitionCodeableConcept": {"text": "Death from any cause"},
            }
        )
    for exclude in (False, True):
        items = [item for item in revision.items.all() if item.is_excluded == exclude]
        if not items:
            continue
        characteristic = {
            "linkId": "concept-set-excluded" if exclude else "concept-set",
            "description": f"{label}{', excluded codes' if exclude else ''}",
            "definitionCodeableConcept": {
                "coding": [coding for item in items for coding in _coding(item)],
                "text": "; ".join(item.name for item in items),
            },
        }
        if exclude:
            characteristic["exclude"] = True
        characteristics.append(characteristic)
    return characteristics


def _translation_extensions(texts: dict[str, str | None]) -> list[dict]:
    """The core `translation` extension on a string element (its `_element` sibling), one per language: the
    outcome's reviewed translations; the element itself keeps the agreed English wording."""
    return [
        {
            "url": EXT_TRANSLATION,
            "extension": [{"url": "lang", "valueCode": lang}, {"url": "content", "valueString": text}],
        }
        for lang, text in texts.items()
        if text
    ]


def evidence_variable(version: CoreOutcomeSetVersion, outcome: Outcome, *, resource_id: str) -> dict:
    categories = []
    for domain in outcome.domains.all():
        categories.append(
            {
                "name": "COMET outcome domain",
                "valueCodeableConcept": {
                    "coding": [{"system": COMET_DOMAIN_SYSTEM, "code": str(domain.number), "display": domain.name}],
                    "text": f"{domain.number}. {domain.name}",
                },
            }
        )
    for area in sorted({d.core_area for d in outcome.domains.all()}):
        label = CoreArea(area).label
        categories.append(
            {
                "name": "COMET core area",
                "valueCodeableConcept": {
                    "coding": [{"system": COMET_CORE_AREA_SYSTEM, "code": area, "display": label}],
                    "text": label,
                },
            }
        )
    resource = {
        "resourceType": "EvidenceVariable",
        "id": resource_id,
        "meta": {"profile": [versioned(VARIABLE_DEFINITION)]},
        "extension": [variable_definition_extension(outcome)],
        "url": evidence_variable_url(outcome),
        "identifier": [{"system": URI_IDENTIFIER_SYSTEM, "value": f"urn:uuid:{outcome.identity}"}],
        "version": version.version,
        "name": _computable_name(outcome.name),
        "title": outcome.name,
        "status": PUBLICATION_STATUS_BY_VERSION_STATUS[version.status],
        "publisher": "COS Registry",
        "description": outcome.definition or outcome.name,
        "actual": True,
        "handling": handling_for(outcome),
        "category": categories,
        "relatedArtifact": [
            {
                "type": "part-of",
                "display": f"{version.core_outcome_set.title}, version {version.version}",
                "document": {
                    "url": version_page_url(slug=version.core_outcome_set.slug, version=version.version),
                    "contentType": "text/html",
                },
            },
            *_reference_artifacts(version),
            *_version_links(version),
        ],
    }
    translations = reviewed_texts(outcome)
    title_ext = _translation_extensions({lang: texts.get("name") for lang, texts in translations.items()})
    description_ext = _translation_extensions(
        {
            lang: texts.get("definition") if outcome.definition else texts.get("name")
            for lang, texts in translations.items()
        }
    )
    if title_ext:
        resource["_title"] = {"extension": title_ext}
    if description_ext:
        resource["_description"] = {"extension": description_ext}
    notes = [note for note in (outcome.note, f"Applies to: {outcome.applies_to}" if outcome.applies_to else "") if note]
    notes += [measurement_note(m) for m in outcome.measurements.all()]
    if is_draft(version):
        notes.insert(0, "DRAFT: not a published version of this core outcome set.")
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    characteristics = concept_set_characteristics(outcome_concept_set(version, outcome))
    if characteristics:
        # Coded outcomes: data-network tools read the codes from characteristic.definitionCodeableConcept, which
        # VariableDefinition forbids (0..0), so this EvidenceVariable claims no profile rather than a false one.
        resource["characteristic"] = characteristics
        del resource["meta"]
        included = [c for c in characteristics if not c.get("exclude") and c["definitionCodeableConcept"].get("coding")]
        if included:
            resource["extension"][0]["valueCodeableReference"]["concept"]["coding"] = [
                coding for c in included for coding in c["definitionCodeableConcept"]["coding"]
            ]
    return resource


def _agreement_summary(result: ItemResult, process_title: str | None) -> str:
    round_ = result.round_item.round
    if round_.kind == Round.Kind.MEETING:
        agreement = (
            f"{result.pct_high}% of the {result.votes_cast} votes cast voted include at the consensus meeting "
            f"(round {round_.number}); {result.n_abstain or 0} abstained"
        )
    else:
        agreement = (
            f"{result.pct_high}% of the {result.n} panelists who scored it scored 7-9 (critical) in Delphi round "
            f"{round_.number}"
        )
    where = (
        f"the consensus process \u201c{process_title}\u201d"
        if process_title
        else "a consensus process of this registry"
    )
    return f"{agreement}, in {where}: {result.get_classification_display()}."


def outcome_importance(
    version: CoreOutcomeSetVersion, outcome: Outcome, *, variable_full_url: str, resource_id: str
) -> dict | None:
    """The consensus result that decided an outcome, as an OutcomeImportance assessment (None when no process of
    this registry decided it). Aggregates only, as on the version's page: never a panelist or a rating."""
    result = outcome.evidence
    if result is None:
        return None
    process = getattr(version, "consensus_process", None) if _has_process(version) else None
    title = process.title if process is not None else None
    assessment = {
        "resourceType": "ArtifactAssessment",
        "id": resource_id,
        "meta": {"profile": [versioned(OUTCOME_IMPORTANCE)]},
        "title": f"Importance of {outcome.name}: consensus result",
        "artifactReference": {"reference": variable_full_url, "type": "EvidenceVariable", "display": outcome.name},
        "content": [
            {
                "informationType": "rating",
                "summary": _agreement_summary(result, title),
                "type": {"text": "Consensus on including the outcome in the core outcome set"},
                "classifier": [{"text": result.get_classification_display()}],
                "freeToShare": True,
            }
        ],
    }
    if version.published_at:
        assessment["date"] = version.published_at.isoformat()
    return assessment


def _has_process(version: CoreOutcomeSetVersion) -> bool:
    try:
        version.consensus_process  # noqa: B018 - select_related by version_document_queryset
    except CoreOutcomeSetVersion.consensus_process.RelatedObjectDoesNotExist:
        return False
    return True


def version_bundle(version: CoreOutcomeSetVersion) -> dict:
    cos = version.core_outcome_set
    canonical = version_page_url(slug=cos.slug, version=version.version)
    publication_status = PUBLICATION_STATUS_BY_VERSION_STATUS[version.status]
    outcome_entries = []
    assessment_entries = []
    for outcome in version.outcomes.all():
        resource_id = _uuid(canonical, str(outcome.identity))
        full_url = f"urn:uuid:{resource_id}"
        outcome_entries.append(
            {"fullUrl": full_url, "resource": evidence_variable(version, outcome, resource_id=resource_id)}
        )
        assessment_id = _uuid(canonical, str(outcome.identity), "importance")
        assessment = outcome_importance(version, outcome, variable_full_url=full_url, resource_id=assessment_id)
        if assessment is not None:
            assessment_entries.append({"fullUrl": f"urn:uuid:{assessment_id}", "resource": assessment})
    cite_as = {
        "type": "cite-as",
        "citation": f"{cos.title}, version {version.version} ({version.get_status_display()}). "
        f"COS Registry. {canonical}",
        "publicationStatus": publication_status,
    }
    if version.published_on:
        cite_as["publicationDate"] = version.published_on.isoformat()
    if version.doi:
        cite_as["citation"] += f" doi:{version.doi}"
        cite_as["document"] = {"url": f"https://doi.org/{version.doi}"}
    extensions = [
        {"url": EXT_ARTIFACT_URL, "valueUri": canonical},
        {"url": EXT_ARTIFACT_VERSION, "valueString": version.version},
        {"url": EXT_ARTIFACT_RELATED, "valueRelatedArtifact": cite_as},
        *({"url": EXT_ARTIFACT_RELATED, "valueRelatedArtifact": link} for link in _version_links(version)),
    ]
    scope = "; ".join(part for part in (cos.scope_population, cos.scope_intervention, cos.scope_setting) if part)
    if scope:
        extensions.insert(2, {"url": EXT_ARTIFACT_DESCRIPTION, "valueMarkdown": scope})
    list_id = _uuid(canonical, "list")
    notes = []
    if is_draft(version):
        notes.append({"text": "DRAFT: not a published version of this core outcome set."})
    if version.status == Status.WITHDRAWN:
        notes.append({"text": f"Withdrawn: {version.withdrawn_reason}"})
    # OutcomeList admits only VariableDefinition (or OutcomeDefinition) entries: claimed when every outcome is one.
    claims_outcome_list = all("meta" in entry["resource"] for entry in outcome_entries)
    outcome_list = {
        "resourceType": "List",
        "id": list_id,
        **({"meta": {"profile": [versioned(OUTCOME_LIST)]}} if claims_outcome_list else {}),
        "extension": extensions,
        "identifier": [{"system": URI_IDENTIFIER_SYSTEM, "value": canonical}],
        "status": "current" if version.status in (Status.PUBLISHED, Status.DRAFT, Status.IN_CONSENSUS) else "retired",
        "mode": "snapshot" if version.is_frozen else "working",
        "title": f"{cos.title}, version {version.version}",
        "code": {"coding": [dict(OUTCOME_LIST_CODING)], "text": OUTCOME_LIST_TEXT},
        "entry": [
            {"item": {"reference": entry["fullUrl"], "type": "EvidenceVariable", "display": entry["resource"]["title"]}}
            for entry in outcome_entries
        ],
    }
    if version.published_at:
        outcome_list["date"] = version.published_at.isoformat()
    if notes:
        outcome_list["note"] = notes
    if not outcome_entries:
        outcome_list["emptyReason"] = {"text": "The outcomes of this set are not recorded in the registry yet."}
    bundle = {
        "resourceType": "Bundle",
        "id": _uuid(canonical, "bundle"),
        "identifier": {"system": URI_IDENTIFIER_SYSTEM, "value": f"urn:uuid:{_uuid(canonical, 'bundle')}"},
        "type": "collection",
        "entry": [{"fullUrl": f"urn:uuid:{list_id}", "resource": outcome_list}, *outcome_entries, *assessment_entries],
    }
    if version.published_at:
        bundle["timestamp"] = version.published_at.isoformat()
    return bundle


def version_bundle_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return orjson.dumps(version_bundle(version), option=orjson.OPT_INDENT_2)


def _related_artifact_problems(where: str, artifacts: list[dict]) -> list[str]:
    problems = []
    for k, artifact in enumerate(artifacts):
        if artifact.get("type") not in RELATED_ARTIFACT_TYPE:
            problems.append(
                f"{where}.relatedArtifact[{k}].type {artifact.get('type')!r} is not a related-artifact-type"
            )
        status = artifact.get("publicationStatus")
        if status is not None and status not in PUBLICATION_STATUS:
            problems.append(f"{where}.relatedArtifact[{k}].publicationStatus {status!r} is not a publication-status")
    return problems


def bundle_validate(bundle: dict) -> list[str]:
    """Every problem found in a bundle (an empty list when it is valid)."""
    from fhir.resources.artifactassessment import ArtifactAssessment
    from fhir.resources.bundle import Bundle
    from fhir.resources.evidencevariable import EvidenceVariable
    from fhir.resources.list import List
    from pydantic import ValidationError

    problems: list[str] = []
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        problems.append(f"Bundle: {exc}")
    if bundle.get("type") != "collection":
        problems.append(f"Bundle.type must be 'collection', got {bundle.get('type')!r}")
    full_urls = [entry.get("fullUrl") for entry in bundle.get("entry", [])]
    if len(set(full_urls)) != len(full_urls):
        problems.append("Bundle.entry.fullUrl values are not unique")
    by_full_url = {entry.get("fullUrl"): entry.get("resource") for entry in bundle.get("entry", [])}
    models = {"List": List, "EvidenceVariable": EvidenceVariable, "ArtifactAssessment": ArtifactAssessment}
    for i, entry in enumerate(bundle.get("entry", [])):
        resource = entry.get("resource", {})
        kind = resource.get("resourceType")
        where = f"entry[{i}] {kind}"
        if kind not in models:
            problems.append(f"{where}: unexpected resource type")
            continue
        try:
            models[kind].model_validate(resource)
        except ValidationError as exc:
            problems.append(f"{where}: {exc}")
        problems += [f"{where}: {p}" for p in claimed_profile_problems(resource, by_full_url.get)]
        if kind == "List":
            if resource.get("status") not in LIST_STATUS:
                problems.append(f"{where}.status {resource.get('status')!r} is not a list-status")
            if resource.get("mode") not in LIST_MODE:
                problems.append(f"{where}.mode {resource.get('mode')!r} is not a list-mode")
            for k, item in enumerate(resource.get("entry", [])):
                if item.get("item", {}).get("reference") not in full_urls:
                    problems.append(f"{where}.entry[{k}].item does not resolve inside the bundle")
            for ext in resource.get("extension", []):
                if "valueRelatedArtifact" in ext:
                    problems += _related_artifact_problems(f"{where}.extension", [ext["valueRelatedArtifact"]])
        elif kind == "ArtifactAssessment":
            if resource.get("artifactReference", {}).get("reference") not in full_urls:
                problems.append(f"{where}.artifactReference does not resolve inside the bundle")
            for k, content in enumerate(resource.get("content", [])):
                if content.get("informationType") not in ASSESSMENT_INFORMATION_TYPE:
                    problems.append(
                        f"{where}.content[{k}].informationType {content.get('informationType')!r} is not an "
                        "artifactassessment-information-type"
                    )
        else:
            if resource.get("status") not in PUBLICATION_STATUS:
                problems.append(f"{where}.status {resource.get('status')!r} is not a publication-status")
            if resource.get("handling") not in HANDLING:
                problems.append(f"{where}.handling {resource.get('handling')!r} is not a variable-handling code")
            problems += _related_artifact_problems(where, resource.get("relatedArtifact", []))
    return problems
