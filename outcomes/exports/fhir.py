"""FHIR R5: a Bundle (type collection) of one List for the set version, following the EBM-on-FHIR
OutcomeVariablesList profile, and one EvidenceVariable per outcome.

`bundle_validate` checks a bundle twice: structurally with the fhir.resources package (R5 models), then with this
registry's own rules for what that package does not check: code bindings of the required value sets, exactly one
definition per characteristic, and List entries that resolve inside the bundle.
"""

from __future__ import annotations

import re
import uuid

import orjson
from django.conf import settings

from outcomes.exports import is_draft, version_page_url
from outcomes.models import CoreArea, CoreOutcomeSetVersion, Instrument, Outcome
from outcomes.selectors import corrected_in
from outcomes.selectors.translations import reviewed_texts

Status = CoreOutcomeSetVersion.Status

OUTCOME_VARIABLES_LIST_PROFILE = "http://hl7.org/fhir/uv/ebm/StructureDefinition/outcome-variables-list"
EBM_PROFILE_NAME_SYSTEM = "http://hl7.org/fhir/uv/ebm/CodeSystem/ebmonfhir-profile-name-code-system"
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
CHARACTERISTIC_DEFINITIONS = (
    "definitionReference",
    "definitionCanonical",
    "definitionCodeableConcept",
    "definitionExpression",
    "definitionId",
    "definitionByTypeAndValue",
    "definitionByCombination",
)

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


def _characteristic(outcome: Outcome, position: int, measurement) -> dict:
    instrument = measurement.instrument
    if instrument is not None:
        definition = {
            "coding": [
                {"system": f"{settings.SITE_URL}/instruments", "code": instrument.acronym, "display": instrument.name}
            ],
            "text": instrument.name,
        }
        description = f"{outcome.name}, measured with {instrument.acronym}"
    else:
        definition = {"text": outcome.name}
        description = outcome.name
    characteristic = {
        "linkId": f"measurement-{position}",
        "description": description + (f", {measurement.timing}" if measurement.timing else ""),
        "definitionCodeableConcept": definition,
    }
    if measurement.note:
        characteristic["note"] = [{"text": measurement.note}]
    if measurement.timing:
        characteristic["timeFromEvent"] = [{"description": measurement.timing}]
    return characteristic


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
    if is_draft(version):
        notes.insert(0, "DRAFT: not a published version of this core outcome set.")
    if notes:
        resource["note"] = [{"text": note} for note in notes]
    characteristics = [_characteristic(outcome, k, m) for k, m in enumerate(outcome.measurements.all(), start=1)]
    if characteristics:
        resource["characteristic"] = characteristics
    return resource


def version_bundle(version: CoreOutcomeSetVersion) -> dict:
    cos = version.core_outcome_set
    canonical = version_page_url(slug=cos.slug, version=version.version)
    publication_status = PUBLICATION_STATUS_BY_VERSION_STATUS[version.status]
    outcome_entries = []
    for outcome in version.outcomes.all():
        resource_id = _uuid(canonical, str(outcome.identity))
        outcome_entries.append(
            {
                "fullUrl": f"urn:uuid:{resource_id}",
                "resource": evidence_variable(version, outcome, resource_id=resource_id),
            }
        )
    cite_as = {
        "type": "cite-as",
        "citation": f"{cos.title}, version {version.version} ({version.get_status_display()}). "
        f"COS Registry. {canonical}",
        "publicationStatus": publication_status,
    }
    if version.published_on:
        cite_as["publicationDate"] = version.published_on.isoformat()
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
    outcome_list = {
        "resourceType": "List",
        "id": list_id,
        "meta": {"profile": [OUTCOME_VARIABLES_LIST_PROFILE]},
        "extension": extensions,
        "identifier": [{"system": URI_IDENTIFIER_SYSTEM, "value": canonical}],
        "status": "current" if version.status in (Status.PUBLISHED, Status.DRAFT, Status.IN_CONSENSUS) else "retired",
        "mode": "snapshot" if version.is_frozen else "working",
        "title": f"{cos.title}, version {version.version}",
        "code": {
            "coding": [
                {"system": EBM_PROFILE_NAME_SYSTEM, "code": "OutcomeVariablesList", "display": "OutcomeVariablesList"}
            ],
            "text": "Outcome Variables List",
        },
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
        "entry": [{"fullUrl": f"urn:uuid:{list_id}", "resource": outcome_list}, *outcome_entries],
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
    models = {"List": List, "EvidenceVariable": EvidenceVariable}
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
        else:
            if resource.get("status") not in PUBLICATION_STATUS:
                problems.append(f"{where}.status {resource.get('status')!r} is not a publication-status")
            if resource.get("handling") not in HANDLING:
                problems.append(f"{where}.handling {resource.get('handling')!r} is not a variable-handling code")
            problems += _related_artifact_problems(where, resource.get("relatedArtifact", []))
            for k, characteristic in enumerate(resource.get("characteristic", [])):
                defined = [name for name in CHARACTERISTIC_DEFINITIONS if name in characteristic]
                if len(defined) != 1:
                    problems.append(f"{where}.characteristic[{k}] must have exactly one definition, has {defined}")
    return problems
