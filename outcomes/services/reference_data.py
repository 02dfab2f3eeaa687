"""Load the COMET taxonomy and the BD4BO core outcome sets from the YAML files shipped in outcomes/data/.

The load is idempotent (a second run changes nothing) and runs in one transaction: a malformed file stops it
with a message naming the file, the entry and the field, and leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from outcomes.services.search import search_synonyms_load, set_search_index_refresh
from outcomes.services.versions import version_publish

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
TAXONOMY_FILE = DATA_DIR / "comet_taxonomy.yaml"
SETS_FILE = DATA_DIR / "bd4bo_core_outcome_sets.yaml"

CORE_AREA_BY_NAME = {label: value for value, label in CoreArea.choices}


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


class _Entry:
    """Field access on one YAML mapping that reports missing or ill-typed fields by name."""

    def __init__(self, path: Path, label: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise ReferenceDataError(path, label, "-", "must be a mapping")
        self.path, self.label, self.data = path, label, data

    def error(self, field_name: str, problem: str) -> ReferenceDataError:
        return ReferenceDataError(self.path, self.label, field_name, problem)

    def str(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.error(name, "is missing")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(name, f"must be text, got {type(value).__name__}")
        text = str(value).strip()
        if required and not text:
            raise self.error(name, "is empty")
        return text

    def int(self, name: str, *, required: bool = True) -> int | None:
        value = self.data.get(name)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"must be a whole number, got {value!r}")
        return value

    def list(self, name: str, *, required: bool = False) -> list:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.error(name, "is missing")
            return []
        if not isinstance(value, list):
            raise self.error(name, f"must be a list, got {type(value).__name__}")
        return value

    def mapping(self, name: str) -> dict:
        value = self.data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(name, f"must be a mapping, got {type(value).__name__}")
        return value


@transaction.atomic
def reference_data_load(*, taxonomy_file: Path = TAXONOMY_FILE, sets_file: Path = SETS_FILE) -> LoadReport:
    """Load both reference files; return what was created (empty when everything was already there).

    1. The COMET taxonomy: 5 core areas, 38 domains.
    2. Disease areas and their conditions with ICD-10 and SNOMED CT codes.
    3. Instruments.
    4. Core outcome sets, each version created as a draft, filled, then published through the lifecycle
       service, so the earlier version of a set ends superseded.
    5. The starter list of search synonyms (only the terms that are missing).
    """
    report = LoadReport()
    domains = _load_taxonomy(taxonomy_file, report)
    data = _read_yaml(sets_file)
    _load_disease_areas(sets_file, data, report)
    instruments = _load_instruments(sets_file, data, report)
    _load_sets(sets_file, data, domains, instruments, report)
    for _ in range(search_synonyms_load()):
        report.count("search synonyms")
    return report


def _load_taxonomy(path: Path, report: LoadReport) -> dict[int, OutcomeDomain]:
    data = _read_yaml(path)
    root = _Entry(path, "file", data)
    domains: dict[int, OutcomeDomain] = {}
    for i, raw_area in enumerate(root.list("core_areas", required=True)):
        area = _Entry(path, f"core_areas[{i}]", raw_area)
        area_name = area.str("name")
        core_area = CORE_AREA_BY_NAME.get(area_name)
        if core_area is None:
            raise area.error("name", f"unknown core area {area_name!r}")
        for j, raw_domain in enumerate(area.list("domains", required=True)):
            entry = _Entry(path, f"core_areas[{i}] ({area_name}).domains[{j}]", raw_domain)
            number = entry.int("number")
            if not 1 <= number <= 38:
                raise entry.error("number", f"must be between 1 and 38, got {number}")
            name = entry.str("name")
            domain, created = OutcomeDomain.objects.get_or_create(
                number=number, defaults={"name": name, "core_area": core_area}
            )
            if created:
                report.count("outcome domains")
            elif (domain.name, domain.core_area) != (name, core_area):
                domain.name, domain.core_area = name, core_area
                domain.save()
                report.count("outcome domains updated")
            domains[number] = domain
    if len(domains) != 38:
        raise root.error("core_areas", f"must hold 38 domains, found {len(domains)}")
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


def _load_disease_areas(path: Path, data: dict, report: LoadReport) -> None:
    root = _Entry(path, "file", data)
    for i, raw_area in enumerate(root.list("disease_areas", required=True)):
        area = _Entry(path, f"disease_areas[{i}]", raw_area)
        slug = area.str("slug")
        area.label = f"disease_areas[{i}] ({slug})"
        programme = _Entry(path, f"{area.label}.programme", area.mapping("programme"))
        disease_area = _upsert(
            DiseaseArea,
            {"slug": slug},
            {
                "name": area.str("name"),
                "programme_name": programme.str("name", required=False),
                "programme_funder": programme.str("funder", required=False),
                "programme_grant": programme.str("grant", required=False),
            },
            report,
            "disease areas",
        )
        for j, raw_condition in enumerate(area.list("conditions", required=True)):
            entry = _Entry(path, f"{area.label}.conditions[{j}]", raw_condition)
            condition_slug = entry.str("slug")
            entry.label = f"{entry.label} ({condition_slug})"
            snomed = entry.str("snomed", required=False)
            if snomed and not (snomed.isdigit() and 6 <= len(snomed) <= 18):
                raise entry.error("snomed", f"must be a SNOMED CT id of 6-18 digits, got {snomed!r}")
            condition = _upsert(
                Condition,
                {"slug": condition_slug},
                {"name": entry.str("name"), "disease_area": disease_area, "snomed_ct_id": snomed},
                report,
                "conditions",
            )
            for code in entry.list("icd10", required=True):
                if not isinstance(code, str) or not code.strip():
                    raise entry.error("icd10", f"every code must be text, got {code!r}")
                _, created = Icd10Code.objects.get_or_create(condition=condition, code=code.strip().upper())
                if created:
                    report.count("ICD-10 codes")


def _load_instruments(path: Path, data: dict, report: LoadReport) -> dict[str, Instrument]:
    root = _Entry(path, "file", data)
    kinds = set(Instrument.Kind.values)
    instruments = {}
    for i, raw in enumerate(root.list("instruments", required=True)):
        entry = _Entry(path, f"instruments[{i}]", raw)
        acronym = entry.str("acronym")
        kind = entry.str("kind")
        if kind not in kinds:
            raise entry.error("kind", f"must be one of {sorted(kinds)}, got {kind!r}")
        instruments[acronym] = _upsert(
            Instrument, {"acronym": acronym}, {"name": entry.str("name"), "kind": kind}, report, "instruments"
        )
    return instruments


def _load_sets(
    path: Path,
    data: dict,
    domains: dict[int, OutcomeDomain],
    instruments: dict[str, Instrument],
    report: LoadReport,
) -> None:
    root = _Entry(path, "file", data)
    completeness = set(CoreOutcomeSet.Completeness.values)
    for i, raw in enumerate(root.list("core_outcome_sets", required=True)):
        entry = _Entry(path, f"core_outcome_sets[{i}]", raw)
        slug = entry.str("slug")
        entry.label = f"core_outcome_sets[{i}] ({slug})"
        area_slug = entry.str("disease_area")
        disease_area = DiseaseArea.objects.filter(slug=area_slug).first()
        if disease_area is None:
            raise entry.error("disease_area", f"unknown disease area {area_slug!r}")
        level = entry.str("completeness")
        if level not in completeness:
            raise entry.error("completeness", f"must be one of {sorted(completeness)}, got {level!r}")
        scope = _Entry(path, f"{entry.label}.scope", entry.mapping("scope"))
        cos = _upsert(
            CoreOutcomeSet,
            {"slug": slug},
            {
                "title": entry.str("title"),
                "disease_area": disease_area,
                "scope_population": scope.str("population", required=False),
                "scope_intervention": scope.str("intervention", required=False),
                "scope_setting": scope.str("setting", required=False),
                "developers": entry.str("developers", required=False),
                "comet_registry_id": entry.int("comet_registry_id", required=False),
                "completeness": level,
                "method": entry.mapping("method"),
            },
            report,
            "core outcome sets",
        )
        condition_slugs = entry.list("conditions", required=True)
        conditions = list(Condition.objects.filter(slug__in=condition_slugs))
        missing = set(condition_slugs) - {c.slug for c in conditions}
        if missing:
            raise entry.error("conditions", f"unknown condition(s) {sorted(missing)}")
        if set(cos.conditions.all()) != set(conditions):
            cos.conditions.set(conditions)
            report.count("set condition links")

        previous_outcomes: list | None = None
        previous_version: CoreOutcomeSetVersion | None = None
        for j, raw_version in enumerate(entry.list("versions", required=True)):
            ventry = _Entry(path, f"{entry.label}.versions[{j}]", raw_version)
            outcomes = ventry.data.get("outcomes")
            if outcomes == "same_as_previous":
                if previous_outcomes is None:
                    raise ventry.error("outcomes", "'same_as_previous' needs a previous version")
                outcomes = previous_outcomes
            elif not isinstance(outcomes, list):
                raise ventry.error("outcomes", "must be a list of outcomes or 'same_as_previous'")
            previous_version = _load_version(
                path, ventry, cos, outcomes, previous_version, domains, instruments, report
            )
            previous_outcomes = outcomes
        # Publishing refreshed the search index; a title changed in the file needs it too (writes only changes).
        set_search_index_refresh(core_outcome_set=cos)


def _load_version(
    path: Path,
    entry: _Entry,
    cos: CoreOutcomeSet,
    outcomes: list,
    previous: CoreOutcomeSetVersion | None,
    domains: dict[int, OutcomeDomain],
    instruments: dict[str, Instrument],
    report: LoadReport,
) -> CoreOutcomeSetVersion:
    number = entry.str("version")
    if not SEMVER_RE.match(number):
        raise entry.error("version", f"must be a semantic version MAJOR.MINOR.PATCH, got {number!r}")
    entry.label = f"{entry.label} ({number})"
    year = entry.int("published")
    if not 1900 <= year <= 2100:
        raise entry.error("published", f"must be a year, got {year}")
    references = [
        _parse_reference(path, f"{entry.label}.references[{k}]", raw) for k, raw in enumerate(entry.list("references"))
    ]
    parsed = [
        _parse_outcome(path, f"{entry.label}.outcomes[{k}]", raw, domains, instruments)
        for k, raw in enumerate(outcomes)
    ]
    names = [p["name"] for p in parsed]
    if len(set(names)) != len(names):
        raise entry.error("outcomes", "outcome names must be unique within a version")

    existing = CoreOutcomeSetVersion.objects.filter(core_outcome_set=cos, version=number).first()
    if existing is not None:
        # Published versions are immutable: the file must agree with what the registry holds.
        if [o.name for o in existing.outcomes.all()] != names:
            raise entry.error("outcomes", f"differ from the loaded version {number}; publish a new version instead")
        return existing

    version = CoreOutcomeSetVersion.objects.create(
        core_outcome_set=cos,
        version=number,
        status=CoreOutcomeSetVersion.Status.DRAFT,
        published_on=dt.date(year, 1, 1),
        published_on_precision=CoreOutcomeSetVersion.DatePrecision.YEAR,
        changelog=entry.str("note", required=False) or "Imported from the publication listed under references.",
        derived_from=previous,
    )
    report.count("versions")
    previous_by_name = {o.name: o.identity for o in previous.outcomes.all()} if previous else {}
    for order, item in enumerate(parsed):
        outcome = Outcome.objects.create(
            version=version,
            name=item["name"],
            identity=previous_by_name.get(item["name"]) or Outcome._meta.get_field("identity").default(),
            definition=item["definition"],
            applies_to=item["applies_to"],
            note=item["note"],
            order=order,
        )
        outcome.domains.set(item["domains"])
        measurements = [
            Measurement(outcome=outcome, instrument=instrument, timing=item["timing"], order=k)
            for k, instrument in enumerate(item["instruments"])
        ] or ([Measurement(outcome=outcome, timing=item["timing"])] if item["timing"] else [])
        Measurement.objects.bulk_create(measurements)
        report.count("outcomes")
    Reference.objects.bulk_create(Reference(version=version, order=k, **ref) for k, ref in enumerate(references))
    try:
        # The literature's number, checked against the version rules (greater than the last, not below the diff).
        version_publish(version=version, by=None, number=number)
    except ValidationError as exc:
        raise entry.error("version", "; ".join(exc.messages)) from None
    return version


def _parse_reference(path: Path, label: str, raw: Any) -> dict:
    entry = _Entry(path, label, raw)
    ref = {
        "citation": entry.str("citation"),
        "doi": entry.str("doi", required=False),
        "pmid": entry.str("pmid", required=False),
        "pmcid": entry.str("pmcid", required=False),
    }
    if ref["doi"] and not ref["doi"].startswith("10."):
        raise entry.error("doi", f"must start with '10.', got {ref['doi']!r}")
    if ref["pmid"] and not ref["pmid"].isdigit():
        raise entry.error("pmid", f"must be digits, got {ref['pmid']!r}")
    if ref["pmcid"] and not (ref["pmcid"].startswith("PMC") and ref["pmcid"][3:].isdigit()):
        raise entry.error("pmcid", f"must look like PMC1234567, got {ref['pmcid']!r}")
    return ref


def _parse_outcome(
    path: Path, label: str, raw: Any, domains: dict[int, OutcomeDomain], instruments: dict[str, Instrument]
) -> dict:
    entry = _Entry(path, label, raw)
    name = entry.str("name")
    entry.label = f"{label} ({name})"
    numbers = entry.list("domains", required=True)
    if not numbers:
        raise entry.error("domains", "must name at least one COMET domain")
    unknown = [n for n in numbers if n not in domains]
    if unknown:
        raise entry.error("domains", f"unknown COMET domain number(s) {unknown}")
    acronyms = entry.list("instruments")
    missing = [a for a in acronyms if a not in instruments]
    if missing:
        raise entry.error("instruments", f"unknown instrument(s) {missing}; add them to 'instruments'")
    return {
        "name": name,
        "definition": entry.str("definition", required=False),
        "note": entry.str("note", required=False),
        "applies_to": entry.str("applies_to", required=False),
        "timing": entry.str("timing", required=False),
        "domains": [domains[n] for n in numbers],
        "instruments": [instruments[a] for a in acronyms],
    }
