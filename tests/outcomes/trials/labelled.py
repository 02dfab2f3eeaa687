"""The labelled set of synthetic trial outcome lists (labelled_trials.yaml) and the shipped sets' core outcomes, read
from the data files alone (no database), so the matcher can be measured as a pure function."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

from outcomes.trials import inputs
from outcomes.trials.matching import MEASURED, CoreOutcomeSpec

DATA = Path(__file__).resolve().parents[3] / "outcomes" / "data"
LABELLED_FILE = Path(__file__).resolve().parent / "labelled_trials.yaml"


@cache
def labelled_trials() -> list[dict]:
    return yaml.safe_load(LABELLED_FILE.read_text(encoding="utf-8"))


@cache
def _reference() -> dict:
    return yaml.safe_load((DATA / "bd4bo_core_outcome_sets.yaml").read_text(encoding="utf-8"))


@cache
def _domain_names() -> dict[int, str]:
    taxonomy = yaml.safe_load((DATA / "comet_taxonomy.yaml").read_text(encoding="utf-8"))
    return {d["number"]: d["name"] for area in taxonomy["core_areas"] for d in area["domains"]}


def core_outcomes(slug: str, version: str) -> list[CoreOutcomeSpec]:
    """The outcomes of a shipped set version, with `same_as_previous` and corrections applied."""
    data = _reference()
    instruments = {i["acronym"]: i["name"] for i in data["instruments"]}
    cos = next(s for s in data["core_outcome_sets"] if s["slug"] == slug)
    outcomes: list[dict] = []
    for entry in cos["versions"]:
        if entry.get("correction_of"):
            renamed = {c["outcome"]: c.get("name") for c in entry["corrections"]}
            outcomes = [{**o, "name": renamed.get(o["name"]) or o["name"]} for o in outcomes]
        elif entry["outcomes"] != "same_as_previous":
            outcomes = entry["outcomes"]
        if entry["version"] == version:
            break
    return [
        CoreOutcomeSpec(
            key=o["name"],
            name=o["name"],
            note=o.get("note", ""),
            applies_to=o.get("applies_to", ""),
            instruments=tuple((a, instruments[a]) for a in o.get("instruments", [])),
            domains=tuple(_domain_names()[n] for n in o.get("domains", [])),
        )
        for o in outcomes
    ]


def trial_outcomes(entry: dict) -> inputs.ParsedTrial:
    """The entry's outcomes read through the same parsers as users' input: a CT.gov record, or pasted lines."""
    if entry["format"] == "lines":
        return inputs.parse_lines("\n".join(entry["lines"]))
    record = {
        "protocolSection": {
            "identificationModule": {"briefTitle": f"{entry['id']} (synthetic)"},
            "outcomesModule": {
                "primaryOutcomes": entry.get("primary", []),
                "secondaryOutcomes": entry.get("secondary", []),
            },
        }
    }
    return inputs.parse_ctgov_text(json.dumps(record))


def expected_verdict(entry: dict, name: str) -> str:
    return (entry.get("expected") or {}).get(name, "missing")


def is_measured(verdict: str) -> bool:
    return verdict == MEASURED
