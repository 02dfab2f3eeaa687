"""Load the COMET taxonomy and the BD4BO core outcome sets from the YAML files shipped in outcomes/data/.

The load is idempotent (a second run changes nothing) and runs in one transaction. Both files are checked against
their schema (outcomes/services/reference_schema.py) first: an unknown key, a key without a value, a value of the
wrong type, or anything else the loader cannot use stops the load with one line naming the file, the entry and the
field, and leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from diseases.models import Condition, DiseaseArea, Icd10Code
from outcomes.models import (
    CoreArea,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Measurement,
    Outcome,
    OutcomeDomain,
    Reference,
)
from outcomes.models.sets import SEMVER_RE
from outcomes.services.reference_schema import (
    SAME_AS_PREVIOUS,
    CorrectionEntry,
    OutcomeEntry,
    ReferenceEntry,
    SetsFile,
    TaxonomyFile,
    VersionEntry,
)
from outcomes.services.search import search_synonyms_load, set_search_index_refresh
from outcomes.services.versions import version_draft_create, version_publish

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TAXONOMY_FILE = DATA_DIR / "comet_taxonomy.yaml"
SETS_FILE = DATA_DIR / "bd4bo_core_outcome_sets.yaml"

CORE_AREA_BY_NAME = {label: value for value, label in CoreArea.choices}

Model = TypeVar("Model", bound=pydantic.BaseModel)


class ReferenceDataError(Exception):
    """A problem in a reference file, located by file, entry and field."""

    def __init__(self, file: Path, entry: str, field_name: str, problem: str) -> None:
        self.file, self.entry, self.field_name, self.problem = file, entry, field_name, problem
        super().__init__(f"{file.name}: {entry}: field '{field_name}': {problem}")


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)

    def count(self, what: str) -> None:
        self.created[what] = self.created.get(what, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created)


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise ReferenceDataError(path, where, "-", f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReferenceDataError(path, "file", "-", f"cannot be read ({exc})") from None
    if not isinstance(data, dict):
        raise ReferenceDataError(path, "file", "-", "must be a mapping at the top level")
    return data


# The key that names an entry of each list in messages, e.g. core_outcome_sets[4] (ichom-coronary-artery-disease).
_LABEL_KEYS = {
    "core_areas": "name",
    "disease_areas": "slug",
    "conditions": "slug",
    "core_outcome_sets": "slug",
    "versions": "version",
    "outcomes": "name",
    "corrections": "outcome",
}


def _schema_error(path: Path, data: Any, error: dict) -> ReferenceDataError:
    """Locate a schema error in the file: the entry (list items and nested mappings) and the field.

    pydantic's location also holds the names of union members ("version-entry", "outcome-list"); they are never
    keys of the file (keys are snake_case), so walking the data skips them.
    """
    entry: list[str] = []
    field_name = ""
    node: Any = data
    list_key = ""
    for part in error["loc"]:
        if field_name:
            if isinstance(part, int):
                field_name += f"[{part}]"
            continue
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            child = node[part]
            if isinstance(child, list):
                list_key, node = part, child
            elif isinstance(child, dict):
                entry.append(part)
                node = child
            else:
                field_name, node = part, child
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            item = node[part]
            if isinstance(item, dict):
                label = f"{list_key}[{part}]"
                name = item.get(_LABEL_KEYS.get(list_key, ""))
                entry.append(f"{label} ({name})" if isinstance(name, str | int) else label)
                node, list_key = item, ""
            else:
                field_name, node = f"{list_key}[{part}]", item
        elif isinstance(part, str) and "-" not in part:
            field_name = part  # a key the entry lacks
    if not field_name:
        # The error is about a whole list or mapping: name it as the field of the entry that holds it.
        if list_key:
            field_name = list_key
        elif entry:
            field_name = entry.pop()
        else:
            field_name = "-"
    return ReferenceDataError(path, ".".join(entry) or "file", field_name, _problem(error))


def _problem(error: dict) -> str:
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        if value is None:
            return (
                "unknown field, with no value: if it is the end of a value that holds a comma, put that value in quotes"
            )
        return "unknown field"
    if kind == "missing":
        return "is missing"
    message = error["msg"].removeprefix("Value error, ")
    if value is None:
        return "has no value"
    return f"{message[:1].lower()}{message[1:]}, got {value!r}" if not isinstance(value, dict | list) else message


def _parse(path: Path, model: type[Model]) -> Model:
    """Read a reference file and check it against its schema; the first mistake stops everything."""
    data = _read_yaml(path)
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise _schema_error(path, data, exc.errors()[0]) from None


@transaction.atomic
def reference_data_load(*, taxonomy_file: Path = TAXONOMY_FILE, sets_file: Path = SETS_FILE) -> LoadReport:
    """Load both reference files; return what was created (empty when everything was already there).

    1. Check both files against their schema (outcomes/services/reference_schema.py) before writing anything.
    2. The COMET taxonomy: 5 core areas, 38 domains.
    3. Disease areas and their conditions with ICD-10 and SNOMED CT codes.
    4. Instruments.
    5. Core outcome sets, each version created as a draft, filled, then published through the lifecycle
       service, so the earlier version of a set ends superseded; a correction entry goes through the same
       service as a curator's correction (`version_draft_create(correction=True)`, then `version_publish`).
    6. The starter list of search synonyms (only the terms that are missing).
    """
    taxonomy = _parse(taxonomy_file, TaxonomyFile)
    sets = _parse(sets_file, SetsFile)
    report = LoadReport()
    domains = _load_taxonomy(taxonomy_file, taxonomy, report)
    _load_disease_areas(sets_file, sets, report)
    instruments = _load_instruments(sets_file, sets, report)
    _load_sets(sets_file, sets, domains, instruments, report)
    for _ in range(search_synonyms_load()):
        report.count("search synonyms")
    return report


def _load_taxonomy(path: Path, taxonomy: TaxonomyFile, report: LoadReport) -> dict[int, OutcomeDomain]:
    domains: dict[int, OutcomeDomain] = {}
    for i, area in enumerate(taxonomy.core_areas):
        core_area = CORE_AREA_BY_NAME.get(area.name)
        if core_area is None:
            raise ReferenceDataError(path, f"core_areas[{i}]", "name", f"unknown core area {area.name!r}")
        for j, entry in enumerate(area.domains):
            label = f"core_areas[{i}] ({area.name}).domains[{j}]"
            if not 1 <= entry.number <= 38:
                raise ReferenceDataError(path, label, "number", f"must be between 1 and 38, got {entry.number}")
            domain, created = OutcomeDomain.objects.get_or_create(
                number=entry.number, defaults={"name": entry.name, "core_area": core_area}
            )
            if created:
                report.count("outcome domains")
            elif (domain.name, domain.core_area) != (entry.name, core_area):
                domain.name, domain.core_area = entry.name, core_area
                domain.save()
                report.count("outcome domains updated")
            domains[entry.number] = domain
    if len(domains) != 38:
        raise ReferenceDataError(path, "file", "core_areas", f"must hold 38 domains, found {len(domains)}")
    return domains


def _upsert(model: type, lookup: dict, values: dict, report: LoadReport, what: str) -> Any:
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        report.count(what)
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save()
        report.count(f"{what} updated")
    return obj


def _load_disease_areas(path: Path, sets: SetsFile, report: LoadReport) -> None:
    for i, area in enumerate(sets.disease_areas):
        label = f"disease_areas[{i}] ({area.slug})"
        programme = area.programme
        disease_area = _upsert(
            DiseaseArea,
            {"slug": area.slug},
            {
                "name": area.name,
                "programme_name": programme.name if programme else "",
                "programme_funder": programme.funder if programme else "",
                "programme_grant": programme.grant if programme else "",
            },
            report,
            "disease areas",
        )
        for j, entry in enumerate(area.conditions):
            snomed = entry.snomed or ""
            if snomed and not (snomed.isdigit() and 6 <= len(snomed) <= 18):
                raise ReferenceDataError(
                    path,
                    f"{label}.conditions[{j}] ({entry.slug})",
                    "snomed",
                    f"must be a SNOMED CT id of 6-18 digits, got {snomed!r}",
                )
            condition = _upsert(
                Condition,
                {"slug": entry.slug},
                {"name": entry.name, "disease_area": disease_area, "snomed_ct_id": snomed},
                report,
                "conditions",
            )
            for code in entry.icd10:
                _, created = Icd10Code.objects.get_or_create(condition=condition, code=code.upper())
                if created:
                    report.count("ICD-10 codes")


def _load_instruments(path: Path, sets: SetsFile, report: LoadReport) -> dict[str, Instrument]:
    kinds = set(Instrument.Kind.values)
    instruments = {}
    for i, entry in enumerate(sets.instruments):
        if entry.kind not in kinds:
            raise ReferenceDataError(
                path, f"instruments[{i}]", "kind", f"must be one of {sorted(kinds)}, got {entry.kind!r}"
            )
        instruments[entry.acronym] = _upsert(
            Instrument, {"acronym": entry.acronym}, {"name": entry.name, "kind": entry.kind}, report, "instruments"
        )
    return instruments


def _load_sets(
    path: Path,
    sets: SetsFile,
    domains: dict[int, OutcomeDomain],
    instruments: dict[str, Instrument],
    report: LoadReport,
) -> None:
    completeness = set(CoreOutcomeSet.Completeness.values)
    for i, entry in enumerate(sets.core_outcome_sets):
        label = f"core_outcome_sets[{i}] ({entry.slug})"
        disease_area = DiseaseArea.objects.filter(slug=entry.disease_area).first()
        if disease_area is None:
            raise ReferenceDataError(path, label, "disease_area", f"unknown disease area {entry.disease_area!r}")
        if entry.completeness not in completeness:
            raise ReferenceDataError(
                path,
                label,
                "completeness",
                f"must be one of {sorted(completeness)}, got {entry.completeness!r}",
            )
        cos = _upsert(
            CoreOutcomeSet,
            {"slug": entry.slug},
            {
                "title": entry.title,
                "disease_area": disease_area,
                "scope_population": entry.scope.population,
                "scope_intervention": entry.scope.intervention,
                "scope_setting": entry.scope.setting,
                "developers": entry.developers,
                "comet_registry_id": entry.comet_registry_id,
                "completeness": entry.completeness,
                "method": entry.method,
            },
            report,
            "core outcome sets",
        )
        conditions = list(Condition.objects.filter(slug__in=entry.conditions))
        missing = set(entry.conditions) - {c.slug for c in conditions}
        if missing:
            raise ReferenceDataError(path, label, "conditions", f"unknown condition(s) {sorted(missing)}")
        if set(cos.conditions.all()) != set(conditions):
            cos.conditions.set(conditions)
            report.count("set condition links")

        previous_outcomes: list[OutcomeEntry] | None = None
        previous: CoreOutcomeSetVersion | None = None
        for j, ventry in enumerate(entry.versions):
            vlabel = f"{label}.versions[{j}] ({ventry.version})"
            if not SEMVER_RE.match(ventry.version):
                raise ReferenceDataError(
                    path, vlabel, "version", f"must be a semantic version MAJOR.MINOR.PATCH, got {ventry.version!r}"
                )
            if isinstance(ventry, CorrectionEntry):
                previous = _load_correction(path, vlabel, ventry, previous, report)
                continue
            outcomes = ventry.outcomes
            if outcomes == SAME_AS_PREVIOUS:
                if previous_outcomes is None:
                    raise ReferenceDataError(path, vlabel, "outcomes", "'same_as_previous' needs a previous version")
                outcomes = previous_outcomes
            previous = _load_version(path, vlabel, ventry, outcomes, cos, previous, domains, instruments, report)
            previous_outcomes = outcomes
        # Publishing refreshed the search index; a title changed in the file needs it too (writes only changes).
        set_search_index_refresh(core_outcome_set=cos)


def _load_version(
    path: Path,
    label: str,
    entry: VersionEntry,
    outcomes: list[OutcomeEntry],
    cos: CoreOutcomeSet,
    previous: CoreOutcomeSetVersion | None,
    domains: dict[int, OutcomeDomain],
    instruments: dict[str, Instrument],
    report: LoadReport,
) -> CoreOutcomeSetVersion:
    number = entry.version
    if not 1900 <= entry.published <= 2100:
        raise ReferenceDataError(path, label, "published", f"must be a year, got {entry.published}")
    for k, ref in enumerate(entry.references):
        _check_reference(path, f"{label}.references[{k}]", ref)
    for k, outcome in enumerate(outcomes):
        _check_outcome(path, f"{label}.outcomes[{k}] ({outcome.name})", outcome, domains, instruments)
    names = [o.name for o in outcomes]
    if len(set(names)) != len(names):
        raise ReferenceDataError(path, label, "outcomes", "outcome names must be unique within a version")

    existing = CoreOutcomeSetVersion.objects.filter(core_outcome_set=cos, version=number).first()
    if existing is not None:
        # Published versions are immutable: the file must agree with what the registry holds.
        if [o.name for o in existing.outcomes.all()] != names:
            raise ReferenceDataError(
                path, label, "outcomes", f"differ from the loaded version {number}; publish a new version instead"
            )
        return existing

    version = CoreOutcomeSetVersion.objects.create(
        core_outcome_set=cos,
        version=number,
        status=CoreOutcomeSetVersion.Status.DRAFT,
        published_on=dt.date(entry.published, 1, 1),
        published_on_precision=CoreOutcomeSetVersion.DatePrecision.YEAR,
        changelog=entry.note or "Imported from the publication listed under references.",
        derived_from=previous,
    )
    report.count("versions")
    previous_by_name = {o.name: o.identity for o in previous.outcomes.all()} if previous else {}
    for order, item in enumerate(outcomes):
        outcome = Outcome.objects.create(
            version=version,
            name=item.name,
            identity=previous_by_name.get(item.name) or Outcome._meta.get_field("identity").default(),
            definition=item.definition,
            applies_to=item.applies_to,
            note=item.note,
            order=order,
        )
        outcome.domains.set([domains[n] for n in item.domains])
        measurements = [
            Measurement(outcome=outcome, instrument=instruments[acronym], timing=item.timing, order=k)
            for k, acronym in enumerate(item.instruments)
        ] or ([Measurement(outcome=outcome, timing=item.timing)] if item.timing else [])
        Measurement.objects.bulk_create(measurements)
        report.count("outcomes")
    Reference.objects.bulk_create(
        Reference(version=version, order=k, citation=r.citation, doi=r.doi, pmid=r.pmid, pmcid=r.pmcid)
        for k, r in enumerate(entry.references)
    )
    _publish(path, label, version, number)
    return version


def _load_correction(
    path: Path,
    label: str,
    entry: CorrectionEntry,
    previous: CoreOutcomeSetVersion | None,
    report: LoadReport,
) -> CoreOutcomeSetVersion:
    """A correction of the version listed just before it, made as a curator makes one (docs/versions.md)."""
    if previous is None or entry.correction_of != previous.version:
        raise ReferenceDataError(
            path, label, "correction_of", "must name the version listed just before this correction"
        )
    outcomes = list(previous.outcomes.all())
    by_name = {o.name: o for o in outcomes}
    corrected_names = {}
    for k, item in enumerate(entry.corrections):
        if item.outcome not in by_name:
            raise ReferenceDataError(
                path,
                f"{label}.corrections[{k}] ({item.outcome})",
                "outcome",
                f"version {previous.version} has no outcome of that name",
            )
        corrected_names[item.outcome] = item.name or item.outcome
    expected = [corrected_names.get(o.name, o.name) for o in outcomes]

    existing = CoreOutcomeSetVersion.objects.filter(core_outcome_set=previous.core_outcome_set, version=entry.version)
    existing = existing.first()
    if existing is not None:
        if not existing.is_correction or [o.name for o in existing.outcomes.all()] != expected:
            raise ReferenceDataError(path, label, "corrections", f"differ from the loaded version {entry.version}")
        return existing

    try:
        draft = version_draft_create(from_version=previous, by=None, correction=True)
    except ValidationError as exc:
        raise ReferenceDataError(path, label, "correction_of", "; ".join(exc.messages)) from None
    for item in entry.corrections:
        outcome = draft.outcomes.get(name=item.outcome)
        outcome.name = item.name or outcome.name
        outcome.definition = item.definition or outcome.definition
        outcome.save(update_fields=["name", "definition"])
    draft.changelog = entry.changelog
    draft.save(update_fields=["changelog", "updated_at"])
    report.count("versions")
    _publish(path, label, draft, entry.version)
    return draft


def _publish(path: Path, label: str, version: CoreOutcomeSetVersion, number: str) -> None:
    try:
        # The file's number, checked against the version rules (greater than the last, not below the diff).
        version_publish(version=version, by=None, number=number)
    except ValidationError as exc:
        raise ReferenceDataError(path, label, "version", "; ".join(exc.messages)) from None


def _check_reference(path: Path, label: str, ref: ReferenceEntry) -> None:
    if ref.doi and not ref.doi.startswith("10."):
        raise ReferenceDataError(path, label, "doi", f"must start with '10.', got {ref.doi!r}")
    if ref.pmid and not ref.pmid.isdigit():
        raise ReferenceDataError(path, label, "pmid", f"must be digits, got {ref.pmid!r}")
    if ref.pmcid and not (ref.pmcid.startswith("PMC") and ref.pmcid[3:].isdigit()):
        raise ReferenceDataError(path, label, "pmcid", f"must look like PMC1234567, got {ref.pmcid!r}")


def _check_outcome(
    path: Path,
    label: str,
    outcome: OutcomeEntry,
    domains: dict[int, OutcomeDomain],
    instruments: dict[str, Instrument],
) -> None:
    unknown = [n for n in outcome.domains if n not in domains]
    if unknown:
        raise ReferenceDataError(path, label, "domains", f"unknown COMET domain number(s) {unknown}")
    missing = [a for a in outcome.instruments if a not in instruments]
    if missing:
        raise ReferenceDataError(
            path, label, "instruments", f"unknown instrument(s) {missing}; add them to 'instruments'"
        )
