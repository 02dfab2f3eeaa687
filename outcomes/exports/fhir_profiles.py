"""The EBM-on-FHIR profiles the FHIR export claims, and a checker driven by their StructureDefinitions.

The profiles come from the Evidence Based Medicine on FHIR Implementation Guide, ballot `hl7.fhir.uv.ebm#1.0.0-ballot`
(January 2024 ballot, built on FHIR R5 5.0.0), vendored unchanged in outcomes/data/fhir/ebm-1.0.0-ballot/ (see its
SOURCE.md). Later ballots (built on FHIR 6.0.0 ballots) rename and reshape them, for example OutcomeVariablesList;
this registry exports R5, so it claims the R5 ballot's profiles, each as `canonical|1.0.0-ballot`.

`profile_problems` checks a resource against a profile's differential: the cardinality (min, max) of every element,
`pattern[x]` (the value contains the pattern) and `fixed[x]` (the value equals it), the allowed types of a choice
element, the target profiles of references, and extension slices (discriminated by url), recursing into an
extension's own StructureDefinition when it is vendored. The four differentials hold no terminology bindings; the
base R5 bindings are checked by fhir.bundle_validate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

EBM_IG_PACKAGE = "hl7.fhir.uv.ebm"
EBM_IG_VERSION = "1.0.0-ballot"
PROFILE_DIR = Path(__file__).resolve().parent.parent / "data" / "fhir" / "ebm-1.0.0-ballot"

EBM = "http://hl7.org/fhir/uv/ebm/StructureDefinition"
OUTCOME_LIST = f"{EBM}/outcome-list"
VARIABLE_DEFINITION = f"{EBM}/variable-definition"
OUTCOME_IMPORTANCE = f"{EBM}/outcome-importance"
EVIDENCE_VARIABLE_DEFINITION_EXT = f"{EBM}/evidence-variable-definition"

Resolver = Callable[[str], dict | None]


def versioned(url: str) -> str:
    """How a resource claims a profile: canonical|version (FHIR R5 canonical references)."""
    return f"{url}|{EBM_IG_VERSION}"


@cache
def structure_definitions() -> dict[str, dict]:
    """The vendored StructureDefinitions by canonical URL."""
    definitions = {}
    for path in sorted(PROFILE_DIR.glob("StructureDefinition-*.json")):
        sd = json.loads(path.read_text())
        definitions[sd["url"]] = sd
    return definitions


def _choice_keys(node: dict, name: str) -> list[str]:
    if name.endswith("[x]"):
        stem = name[:-3]
        return [key for key in node if key.startswith(stem) and key[len(stem) : len(stem) + 1].isupper()]
    return [name] if name in node else []


def _children(node: dict, name: str) -> list:
    values = []
    for key in _choice_keys(node, name):
        value = node[key]
        values.extend(value if isinstance(value, list) else [value])
    return values


def _nodes(resource: dict, steps: list[str]) -> list:
    nodes = [resource]
    for step in steps:
        nodes = [child for node in nodes if isinstance(node, dict) for child in _children(node, step)]
    return nodes


def _contains(value: object, pattern: object) -> bool:
    """FHIR pattern matching: every property of the pattern is in the value (lists: each pattern item matches one)."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(_contains(value.get(k), v) for k, v in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(_contains(v, p) for v in value) for p in pattern)
    return value == pattern


def _claims(resource: dict | None, profiles: list[str]) -> bool:
    if resource is None:
        return False
    claimed = {p.split("|")[0] for p in resource.get("meta", {}).get("profile", [])}
    return bool(claimed & set(profiles))


def _cardinality(where: str, values: list, element: dict) -> list[str]:
    problems = []
    if len(values) < element.get("min", 0):
        problems.append(f"{where}: min {element['min']}, found {len(values)}")
    maximum = element.get("max", "*")
    if maximum != "*" and len(values) > int(maximum):
        problems.append(f"{where}: max {maximum}, found {len(values)}")
    return problems


def _element_problems(resource: dict, element: dict, resolve: Resolver) -> list[str]:
    path = element["path"]
    steps = path.split(".")[1:]
    if not steps:
        return []
    where = element["id"]
    problems = []
    for parent in _nodes(resource, steps[:-1]):
        if not isinstance(parent, dict):
            continue
        values = _children(parent, steps[-1])
        if "sliceName" in element:
            # An extension slice: the extensions with the slice's profile url.
            url = element["type"][0]["profile"][0]
            values = [v for v in values if isinstance(v, dict) and v.get("url") == url]
            problems += _cardinality(where, values, element)
            if url in structure_definitions():
                for value in values:
                    problems += [f"{where}: {p}" for p in profile_problems(value, url, resolve)]
            continue
        problems += _cardinality(where, values, element)
        for key, expected in element.items():
            if key.startswith("pattern"):
                problems += [
                    f"{where}: {v!r} does not match pattern {expected!r}" for v in values if not _contains(v, expected)
                ]
            elif key.startswith("fixed"):
                problems += [f"{where}: {v!r} is not the fixed value {expected!r}" for v in values if v != expected]
        types = element.get("type", [])
        if types and steps[-1].endswith("[x]"):
            stem = steps[-1][:-3]
            allowed = {stem + t["code"][0].upper() + t["code"][1:] for t in types}
            problems += [
                f"{where}: {key} is not one of {sorted(allowed)}"
                for key in _choice_keys(parent, steps[-1])
                if key not in allowed
            ]
        targets = [p for t in types for p in t.get("targetProfile", [])]
        if targets and any(t.get("code") == "Reference" for t in types):
            for value in values:
                reference = value.get("reference") if isinstance(value, dict) else None
                if not _claims(resolve(reference) if reference else None, targets):
                    problems.append(f"{where}: {reference!r} does not resolve to a resource claiming {targets}")
    return problems


def profile_problems(resource: dict, profile_url: str, resolve: Resolver = lambda reference: None) -> list[str]:
    """Every way `resource` breaks the vendored profile `profile_url` (empty when it conforms)."""
    sd = structure_definitions().get(profile_url.split("|")[0])
    if sd is None:
        return [f"{profile_url} is not a vendored profile"]
    problems = []
    if sd["kind"] == "resource" and resource.get("resourceType") != sd["type"]:
        problems.append(f"{sd['name']}: resource type {resource.get('resourceType')!r} is not {sd['type']!r}")
    for element in sd["differential"]["element"]:
        problems += _element_problems(resource, element, resolve)
    return problems


def claimed_profile_problems(resource: dict, resolve: Resolver) -> list[str]:
    """profile_problems for every profile the resource claims in meta.profile, each with this IG's version."""
    problems = []
    for claim in resource.get("meta", {}).get("profile", []):
        url, _, version = claim.partition("|")
        if version != EBM_IG_VERSION:
            problems.append(f"meta.profile {claim!r} does not name the version {EBM_IG_VERSION}")
        problems += profile_problems(resource, url, resolve)
    return problems
