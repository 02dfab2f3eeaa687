"""Exports for trials: a check's result as CSV, a trial's FHIR R5 ResearchStudy naming the set's outcomes, and the
paragraph for a protocol or paper. Pure functions of a check or version (prefetched by selectors.trials)."""

from __future__ import annotations

import orjson

from outcomes.exports import csv_text, version_page_url
from outcomes.exports.fhir import evidence_variable_url
from outcomes.models import CoreOutcomeSetVersion, TrialCheck
from outcomes.trials.inputs import TrialId

# Identifier systems of the trial registries (their web addresses).
REGISTRY_SYSTEMS = {
    "nct": "https://clinicaltrials.gov",
    "euct": "https://euclinicaltrials.eu",
    "eudract": "https://www.clinicaltrialsregister.eu",
    "isrctn": "https://www.isrctn.com",
}

CHECK_CSV_HEADER = ("core_outcome", "applies_to", "verdict", "reason", "score", "trial_outcome", "explanation")


def check_rows(check: TrialCheck) -> list[list[object]]:
    rows = []
    for v in check.verdicts:
        index = v.get("trial_outcome")
        measure = check.trial_outcomes[index]["measure"] if index is not None else ""
        rows.append(
            [v["name"], v["applies_to"], v["verdict"], v["reason"], v["score"], measure, v.get("explanation", "")]
        )
    for index in check.not_in_set:
        rows.append(["", "", "not in the set", "", "", check.trial_outcomes[index]["measure"], ""])
    return rows


def check_csv(check: TrialCheck) -> str:
    return csv_text(CHECK_CSV_HEADER, check_rows(check))


def version_citation(version: CoreOutcomeSetVersion) -> str:
    """The set's own reference (the first of its version), as published."""
    references = list(version.references.all())
    return references[0].citation if references else ""


def ready_paragraph(version: CoreOutcomeSetVersion, *, measured_all: bool | None = None) -> str:
    """What a protocol (SPIRIT 2025) or a trial report (CONSORT 2025) says about the core outcome set used."""
    cos = version.core_outcome_set
    citation = version_citation(version)
    cited = f" ({citation})" if citation else ""
    url = version_page_url(slug=cos.slug, version=version.version)
    text = (
        f"Core outcome set: this trial uses the {cos.title}, version {version.version}{cited}, as recorded in the "
        f"COS Registry at {url}."
    )
    count = len(version.outcomes.all())
    if measured_all is True:
        text += f" All {count} of its core outcomes are among the trial's outcomes."
    elif measured_all is False:
        text += " Not all of its core outcomes are among the trial's outcomes; the missing ones are named."
    return text


def research_study(
    version: CoreOutcomeSetVersion, *, trial_id: TrialId | None = None, title: str = "", check: TrialCheck | None = None
) -> dict:
    """A FHIR R5 ResearchStudy whose outcome measures reference the set version's EvidenceVariables (by the
    canonical URLs of outcomes.exports.fhir), so a trial management system knows which outcomes to collect."""
    cos = version.core_outcome_set
    measured = {}
    if check is not None:
        for v in check.verdicts:
            if v["verdict"] == "measured" and v.get("trial_outcome") is not None:
                measured[v["key"]] = check.trial_outcomes[v["trial_outcome"]]["measure"]
    outcome_measures = []
    for outcome in version.outcomes.all():
        measure = {
            "name": outcome.name,
            "reference": {"reference": evidence_variable_url(outcome), "display": outcome.name},
        }
        description = outcome.definition or ""
        if str(outcome.identity) in measured:
            description = (
                description + " " if description else ""
            ) + f"Trial outcome: {measured[str(outcome.identity)]}"
        if description:
            measure["description"] = description
        outcome_measures.append(measure)
    study: dict = {
        "resourceType": "ResearchStudy",
        "status": "active",
        "title": title or (f"Trial {trial_id.value}" if trial_id else f"A trial using {cos.title}"),
        "description": ready_paragraph(version),
        "relatedArtifact": [
            {
                "type": "depends-on",
                "display": f"{cos.title}, version {version.version}",
                "document": {
                    "url": version_page_url(slug=cos.slug, version=version.version),
                    "contentType": "text/html",
                },
            }
        ],
        "outcomeMeasure": outcome_measures,
    }
    if trial_id is not None:
        study["identifier"] = [{"system": REGISTRY_SYSTEMS[trial_id.registry], "value": trial_id.value}]
    return study


def research_study_validate(study: dict) -> list[str]:
    from fhir.resources.researchstudy import ResearchStudy
    from pydantic import ValidationError

    try:
        ResearchStudy.model_validate(study)
    except ValidationError as exc:
        return [str(exc)]
    return []


def research_study_bytes(study: dict) -> bytes:
    return orjson.dumps(study, option=orjson.OPT_INDENT_2)
