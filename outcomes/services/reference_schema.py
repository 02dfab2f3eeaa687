"""The format of the two reference files in outcomes/data/: the one definition the loader and its tests use.

Every mapping is a model that forbids unknown keys, so a mistake in the file stops the load instead of being
ignored. The classic one: an unquoted flow mapping with a comma in a value, `{name: A, B, domains: [1]}`, which
YAML reads as `name: A` plus a second key `B` with no value. Types are strict (a year is a number, a code is text,
a name is never empty). What needs the database (an instrument or a domain that exists, a semantic version the
lifecycle accepts) is checked by the loader (outcomes/services/reference_data.py).

The files' headers document these fields; tests/outcomes/test_reference_data.py keeps the two in agreement.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Required text: present, not null, not blank.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
# Optional text: may be left out, but a key that is written needs a value.
Text = Annotated[str, StringConstraints(strip_whitespace=True)]

SAME_AS_PREVIOUS = "same_as_previous"
SNAKE_CASE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # Fields that may be written as `null`; any other key written in the file needs a value.
    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _written_key_has_a_value(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("has no value")
        return value


# ---------------------------------------------------------------------------------------------- comet_taxonomy.yaml


class DomainEntry(Entry):
    number: int
    name: Name


class CoreAreaEntry(Entry):
    name: Name
    domains: list[DomainEntry] = Field(min_length=1)


class TaxonomyFile(Entry):
    core_areas: list[CoreAreaEntry] = Field(min_length=1)


# -------------------------------------------------------------------------------------- bd4bo_core_outcome_sets.yaml


class ProgrammeEntry(Entry):
    name: Name
    funder: Text = ""
    grant: Text = ""


class ConditionEntry(Entry):
    slug: Name
    name: Name
    icd10: list[Name] = Field(min_length=1)
    # null when no SNOMED CT concept is recorded: written explicitly, so a forgotten value is not taken for it.
    snomed: Name | None
    nullable = frozenset({"snomed"})


class DiseaseAreaEntry(Entry):
    slug: Name
    name: Name
    programme: ProgrammeEntry | None = None
    conditions: list[ConditionEntry] = Field(min_length=1)


class InstrumentEntry(Entry):
    acronym: Name
    name: Name
    kind: Name


class ScopeEntry(Entry):
    population: Text = ""
    intervention: Text = ""
    setting: Text = ""


class ReferenceEntry(Entry):
    citation: Name
    doi: Text = ""
    pmid: Text = ""
    pmcid: Text = ""


class OutcomeEntry(Entry):
    name: Name
    definition: Text = ""
    note: Text = ""
    applies_to: Text = ""
    timing: Text = ""
    domains: list[int] = Field(min_length=1)
    instruments: list[Name] = []


class VersionEntry(Entry):
    """A version as published in the literature."""

    version: Name
    published: int
    note: Text = ""
    references: list[ReferenceEntry] = []
    outcomes: Annotated[
        Annotated[list[OutcomeEntry], Tag("outcome-list")]
        | Annotated[Literal["same_as_previous"], Tag("same-as-previous")],
        Discriminator(lambda value: "same-as-previous" if value == SAME_AS_PREVIOUS else "outcome-list"),
    ]


class CorrectionItem(Entry):
    """One outcome's wording corrected: `outcome` is its name as the corrected version has it."""

    outcome: Name
    name: Text = ""
    definition: Text = ""

    @model_validator(mode="after")
    def _corrects_something(self) -> CorrectionItem:
        if not (self.name or self.definition):
            raise ValueError("give the corrected 'name' or 'definition'")
        return self


class CorrectionEntry(Entry):
    """A patch version that corrects a transcription error of the version before it (docs/versions.md)."""

    version: Name
    correction_of: Name
    changelog: Name
    corrections: list[CorrectionItem] = Field(min_length=1)


def _version_kind(value: Any) -> str:
    return "correction-entry" if isinstance(value, dict) and "correction_of" in value else "version-entry"


AnyVersionEntry = Annotated[
    Annotated[VersionEntry, Tag("version-entry")] | Annotated[CorrectionEntry, Tag("correction-entry")],
    Discriminator(_version_kind),
]


def _check_facts(value: Any, where: str) -> None:
    """`method` holds free-form facts: snake_case keys; text, numbers, yes/no, lists of text, or one level more."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not SNAKE_CASE_RE.match(key):
                raise ValueError(f"{where}: key {key!r} is not a snake_case name (a comma in an unquoted value?)")
            _check_facts(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if not isinstance(item, str | int) or isinstance(item, bool):
                raise ValueError(f"{where}[{i}] must be text or a number, got {item!r}")
    elif value is None:
        raise ValueError(f"{where} has no value")
    elif not isinstance(value, str | int | bool):
        raise ValueError(f"{where} must be text, a number or true/false, got {value!r}")


class CoreOutcomeSetEntry(Entry):
    slug: Name
    title: Name
    disease_area: Name
    conditions: list[Name] = Field(min_length=1)
    scope: ScopeEntry = ScopeEntry()
    developers: Text = ""
    comet_registry_id: int | None = None
    completeness: Name
    method: dict[str, Any] = {}
    versions: list[AnyVersionEntry] = Field(min_length=1)

    @field_validator("method")
    @classmethod
    def _method_is_facts(cls, value: dict[str, Any]) -> dict[str, Any]:
        _check_facts(value, "method")
        return value


class SetsFile(Entry):
    disease_areas: list[DiseaseAreaEntry] = Field(min_length=1)
    instruments: list[InstrumentEntry] = Field(min_length=1)
    core_outcome_sets: list[CoreOutcomeSetEntry] = Field(min_length=1)
