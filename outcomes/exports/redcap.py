"""A REDCap data dictionary (CSV, the 18 standard columns in order) for collecting a version's outcomes.

- `record_id` is the first field, on the first form, followed by a descriptive field that names the set, version,
  status and canonical URL.
- One form (instrument) per timepoint: the measurements of every outcome that share a timing go on one form;
  measurements without a timing go on the form "outcomes".
- Variable names are unique, start with a lowercase letter, use [a-z0-9_] only and have at most 26 characters.
"""

from __future__ import annotations

import re

from outcomes.exports import csv_text, is_draft, version_page_url
from outcomes.exports.fhir import handling_for
from outcomes.models import CoreOutcomeSetVersion

HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
VARIABLE_MAX = 26
FORM_MAX = 50
VARIABLE_RE = re.compile(r"^[a-z][a-z0-9_]{0,25}$")
UNTIMED_FORM = "outcomes"


def _snake(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


class NameAllocator:
    """Hands out unique REDCap names: snake_case, a letter first, shortened to a maximum with a numeric suffix."""

    def __init__(self, maximum: int, taken: tuple[str, ...] = ()) -> None:
        self.maximum = maximum
        self.used: set[str] = set(taken)

    def allocate(self, text: str, fallback: str) -> str:
        base = _snake(text) or fallback
        if not base[0].isalpha():
            base = f"{fallback[0]}_{base}"
        name = base[: self.maximum].rstrip("_")
        counter = 2
        while name in self.used:
            suffix = f"_{counter}"
            name = base[: self.maximum - len(suffix)].rstrip("_") + suffix
            counter += 1
        self.used.add(name)
        return name


def _row(**cells: str) -> list[str]:
    keys = {
        "name": 0,
        "form": 1,
        "section": 2,
        "type": 3,
        "label": 4,
        "choices": 5,
        "note": 6,
        "validation": 7,
        "annotation": 17,
    }
    row = [""] * len(HEADERS)
    for key, value in cells.items():
        row[keys[key]] = value
    return row


def data_dictionary_rows(version: CoreOutcomeSetVersion) -> list[list[str]]:
    cos = version.core_outcome_set
    canonical = version_page_url(slug=cos.slug, version=version.version)
    forms = NameAllocator(FORM_MAX)
    variables = NameAllocator(VARIABLE_MAX, taken=("record_id", "cos_source"))

    # Group measurements by timing, in order of first appearance; each group is one form.
    groups: dict[str, list] = {}
    for outcome in version.outcomes.all():
        measurements = list(outcome.measurements.all()) or [None]
        for measurement in measurements:
            timing = measurement.timing if measurement is not None else ""
            groups.setdefault(timing, []).append((outcome, measurement))
    form_names = {timing: forms.allocate(timing or UNTIMED_FORM, "form") for timing in groups}
    first_form = next(iter(form_names.values()), UNTIMED_FORM)

    status = version.get_status_display() + (" - DRAFT, not for use in a trial" if is_draft(version) else "")
    rows = [
        _row(name="record_id", form=first_form, type="text", label="Record ID"),
        _row(
            name="cos_source",
            form=first_form,
            type="descriptive",
            label=f"{cos.title}, version {version.version} ({status}). Source: {canonical}",
        ),
    ]
    for timing, items in groups.items():
        form = form_names[timing]
        section = f"Timepoint: {timing}" if timing else "Outcomes"
        for k, (outcome, measurement) in enumerate(items):
            instrument = measurement.instrument if measurement is not None else None
            hint = outcome.name + (f" {instrument.acronym}" if instrument else "")
            label = outcome.name + (f" ({instrument.acronym})" if instrument else "")
            note_parts = [outcome.definition, f"Instrument: {instrument.name}" if instrument else "", timing]
            dichotomous = handling_for(outcome) == "dichotomous"
            rows.append(
                _row(
                    name=variables.allocate(hint, "outcome"),
                    form=form,
                    section=section if k == 0 else "",
                    type="yesno" if dichotomous else "text",
                    label=label,
                    note=" | ".join(part for part in note_parts if part),
                    annotation=f"COS outcome {outcome.identity}",
                )
            )
    return rows


def data_dictionary(version: CoreOutcomeSetVersion) -> str:
    return csv_text(HEADERS, data_dictionary_rows(version))


def data_dictionary_bytes(version: CoreOutcomeSetVersion) -> bytes:
    return data_dictionary(version).encode("utf-8")
