from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from diseases.models import Condition, DiseaseArea, Icd10Code
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Measurement, Outcome, OutcomeDomain
from outcomes.services import reference_schema
from outcomes.services.diff import version_diff
from outcomes.services.reference_data import SETS_FILE, TAXONOMY_FILE, ReferenceDataError, reference_data_load

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def _table_counts() -> dict[str, int]:
    models = [
        DiseaseArea,
        Condition,
        Icd10Code,
        OutcomeDomain,
        CoreOutcomeSet,
        CoreOutcomeSetVersion,
        Outcome,
        Measurement,
    ]
    return {m.__name__: m.objects.count() for m in models}


def test_reference_files_are_copied_into_the_project_with_their_source_headers():
    assert TAXONOMY_FILE.read_text().startswith("# COMET outcome taxonomy")
    assert "Dodd S" in TAXONOMY_FILE.read_text()
    assert SETS_FILE.read_text().startswith("# Published core outcome sets")


def test_loading_gives_the_documented_counts(reference_data):
    assert DiseaseArea.objects.count() == 4
    assert OutcomeDomain.objects.count() == 38
    assert CoreOutcomeSet.objects.count() == 11
    assert CoreOutcomeSetVersion.objects.count() == 13


def test_compacters_1_0_0_is_superseded_by_1_1_0(reference_data):
    versions = dict(
        CoreOutcomeSetVersion.objects.filter(core_outcome_set__slug="localised-prostate-cancer-compacters").values_list(
            "version", "status"
        )
    )
    assert versions == {"1.0.0": Status.SUPERSEDED, "1.1.0": Status.PUBLISHED}


def test_same_as_previous_repeats_the_outcomes_and_keeps_their_identity(reference_data):
    old, new = (
        CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="localised-prostate-cancer-compacters", version=v)
        for v in ("1.0.0", "1.1.0")
    )
    assert new.outcomes.count() == old.outcomes.count() == 19
    assert [o.name for o in new.outcomes.all()] == [o.name for o in old.outcomes.all()]
    assert [o.identity for o in new.outcomes.all()] == [o.identity for o in old.outcomes.all()]
    assert new.derived_from == old


def test_outcomes_carry_domains_instruments_timing_and_applicability(reference_data):
    functional = Outcome.objects.get(version__core_outcome_set__slug="ichom-heart-failure", name="Functional status")
    assert sorted(d.number for d in functional.domains.all()) == [25, 30]
    assert sorted(m.instrument.acronym for m in functional.measurements.all()) == [
        "KCCQ-12",
        "NYHA",
        "PROMIS-PF-4a",
    ]
    angina = Outcome.objects.get(
        version__core_outcome_set__slug="ichom-coronary-artery-disease", version__version="1.0.1", name="Angina"
    )
    assert angina.measurements.get().timing == "Index event, 30 days, then annually for 5 years"
    margin = Outcome.objects.get(name="Positive surgical margin", version__version="1.1.0")
    assert margin.applies_to == "surgery"


def test_conditions_carry_icd10_and_snomed_codes(reference_data):
    nhl = Condition.objects.get(slug="non-hodgkin-lymphoma")
    assert nhl.icd10 == ["C82", "C83", "C85"]
    assert nhl.snomed_ct_id == "118601006"
    assert Condition.objects.get(slug="multiple-myeloma").disease_area.slug == "hematologic-malignancies"


def test_a_second_load_changes_nothing(reference_data):
    before = _table_counts()
    report = reference_data_load()
    assert not report.changed
    assert _table_counts() == before


def test_the_command_says_when_nothing_changed(reference_data, capsys):
    call_command("load_reference_data")
    assert "nothing changed" in capsys.readouterr().out


NEW_AREA = """disease_areas:
  - slug: new-area
    name: A new area, loaded before the broken entry
    conditions:
      - {slug: new-condition, name: New condition, icd10: [Z99], snomed: null}
"""


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """The reference file with one fault, and a new disease area before it that a partial load would leave behind."""
    text = SETS_FILE.read_text()
    assert old in text
    text = text.replace(old, new, 1).replace("disease_areas:\n", NEW_AREA, 1)
    path = tmp_path / "bd4bo_core_outcome_sets.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{name: Death from prostate cancer, domains: [1]}",
            "{name: Death from prostate cancer, domains: [99]}",
            "localised-prostate-cancer-compacters).versions[0] (1.0.0).outcomes[0] (Death from prostate cancer): "
            "field 'domains'",
        ),
        ('version: "1.1.0"', 'version: "1.1"', "field 'version': must be a semantic version"),
        (
            "instruments: [EPIC-26], timing",
            "instruments: [EPIC-99], timing",
            "field 'instruments': unknown instrument",
        ),
        (
            "disease_area: heart-disease",
            "disease_area: lung-disease",
            "field 'disease_area': unknown disease area",
        ),
        ("completeness: registry", "completeness: some", "field 'completeness'"),
        ('snomed: "84114007"', 'snomed: "8411x"', "heart-failure): field 'snomed'"),
    ],
)
def test_a_malformed_file_names_the_entry_and_field_and_loads_nothing(reference_data, tmp_path, old, new, expected):
    before = _table_counts()
    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(sets_file=_broken_copy(tmp_path, old, new))
    assert expected in str(excinfo.value)
    assert str(excinfo.value).startswith("bd4bo_core_outcome_sets.yaml: ")
    assert not DiseaseArea.objects.filter(slug="new-area").exists()
    assert _table_counts() == before


def test_invalid_yaml_is_reported_with_its_line(db, tmp_path):
    path = tmp_path / "bd4bo_core_outcome_sets.yaml"
    path.write_text("disease_areas:\n  - slug: [unclosed\n")
    with pytest.raises(ReferenceDataError, match=r"line \d+.*not valid YAML"):
        reference_data_load(sets_file=path)


def test_the_command_fails_with_one_clear_line_on_a_malformed_file(db, tmp_path, monkeypatch):
    broken = _broken_copy(tmp_path, "kind: PROM}", "kind: QUESTIONNAIRE}")
    monkeypatch.setattr("outcomes.services.reference_data.SETS_FILE", broken)
    monkeypatch.setattr(
        "outcomes.management.commands.load_reference_data.reference_data_load",
        lambda: reference_data_load(sets_file=broken),
    )
    with pytest.raises(CommandError, match=r"Nothing was loaded\. .*instruments\[0\]: field 'kind'"):
        call_command("load_reference_data")


# ------------------------------------------------------------------------------------ the strict schema

CAD = "ichom-coronary-artery-disease"
TRUNCATED = "Acute complications within 30 days of AMI"
FULL_NAME = "Acute complications within 30 days of AMI, CABG or PCI"
# The line as it was first written: an unquoted flow mapping, so YAML splits the name at its comma.
UNQUOTED_NAME = "{name: Acute complications within 30 days of AMI, CABG or PCI, domains: [3, 38]"


def test_an_unquoted_name_with_a_comma_stops_the_load_naming_the_stray_key_and_writes_nothing(db, tmp_path):
    broken = _broken_copy(tmp_path, "{name: Acute complications within 30 days of AMI, domains: [3, 38]", UNQUOTED_NAME)
    before = _table_counts()
    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(sets_file=broken)
    assert str(excinfo.value) == (
        "bd4bo_core_outcome_sets.yaml: core_outcome_sets[4] (ichom-coronary-artery-disease).versions[0] (1.0.0)"
        ".outcomes[0] (Acute complications within 30 days of AMI): field 'CABG or PCI': unknown field, with no "
        "value: if it is the end of a value that holds a comma, put that value in quotes"
    )
    assert not DiseaseArea.objects.filter(slug="new-area").exists()
    assert _table_counts() == before


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "{name: Death from prostate cancer, domains: [1]}",
            "{name: Death from prostate cancer, domains: [1], timimg: at 5 years}",
            "versions[0] (1.0.0).outcomes[0] (Death from prostate cancer): field 'timimg': unknown field",
        ),
        (
            "{name: Death from prostate cancer, domains: [1]}",
            "{name: Death from prostate cancer, domains: [1], timing: }",
            "outcomes[0] (Death from prostate cancer): field 'timing': has no value",
        ),
        (
            "{name: Death from prostate cancer, domains: [1]}",
            "{name: Death from prostate cancer}",
            "outcomes[0] (Death from prostate cancer): field 'domains': is missing",
        ),
        (
            "{name: Death from prostate cancer, domains: [1]}",
            '{name: Death from prostate cancer, domains: ["1"]}',
            "outcomes[0] (Death from prostate cancer): field 'domains[0]': input should be a valid integer, got '1'",
        ),
        ("published: 2017", 'published: "2017"', "versions[0] (1.0.0): field 'published': input should be"),
        ("comet_registry_id: 153", "comet_registry_id:", "compacters): field 'comet_registry_id': has no value"),
        (
            "scope: {population: Men with localised prostate cancer,",
            "scope: {populaton: Men with localised prostate cancer,",
            "core_outcome_sets[0] (localised-prostate-cancer-compacters).scope: field 'populaton': unknown field",
        ),
        (
            "{slug: heart-failure, name: Heart failure, icd10: [I50],",
            "{slug: heart-failure, name: Heart failure, icd10: I50,",
            "conditions[0] (heart-failure): field 'icd10': input should be a valid list",
        ),
        (
            "method: {long_list: 79,",
            "method: {long list: 79,",
            "field 'method': method: key 'long list' is not a snake_case name",
        ),
        (
            "{outcome: Acute complications within 30 days of AMI, name:",
            "{outcome: Acute complications within 30 days of AMI, wording:",
            "versions[1] (1.0.1).corrections[0] (Acute complications within 30 days of AMI): field 'wording': unknown",
        ),
    ],
)
def test_an_unknown_key_a_key_without_value_or_a_wrong_type_stops_the_load(
    reference_data, tmp_path, old, new, expected
):
    before = _table_counts()
    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(sets_file=_broken_copy(tmp_path, old, new))
    assert str(excinfo.value).startswith("bd4bo_core_outcome_sets.yaml: ")
    assert expected in str(excinfo.value)
    assert "\n" not in str(excinfo.value)
    assert _table_counts() == before


def test_the_taxonomy_file_is_held_to_its_schema_too(db, tmp_path):
    path = tmp_path / "comet_taxonomy.yaml"
    path.write_text(TAXONOMY_FILE.read_text().replace("{number: 3, name: Cardiac outcomes}", "{number: 3, title: x}"))
    before = _table_counts()
    with pytest.raises(ReferenceDataError) as excinfo:
        reference_data_load(taxonomy_file=path)
    assert str(excinfo.value).startswith(
        "comet_taxonomy.yaml: core_areas[1] (Physiological/clinical).domains[1]: field 'name': is missing"
    )
    assert _table_counts() == before


SCHEMA_OF_FILE = {
    SETS_FILE: reference_schema.SetsFile,
    TAXONOMY_FILE: reference_schema.TaxonomyFile,
}


def _models(model: type) -> set[type]:
    """The model and every entry model nested in its fields."""
    found = {model}
    for field in model.model_fields.values():
        for nested in re.findall(r"reference_schema\.(\w+)", repr(field.annotation)):
            found |= _models(getattr(reference_schema, nested))
    return found


def _header(path: Path) -> str:
    return "".join(line for line in path.read_text().splitlines(keepends=True) if line.startswith("#"))


@pytest.mark.parametrize("path", list(SCHEMA_OF_FILE), ids=lambda p: p.name)
def test_the_file_header_documents_every_field_of_its_schema(path):
    header = _header(path)
    model = SCHEMA_OF_FILE[path]
    assert f"outcomes/services/reference_schema.py ({model.__name__})" in header
    documented = set(re.findall(r"(\w+):|`(\w+)`", header))
    documented = {name for pair in documented for name in pair if name}
    fields = {name for m in _models(model) for name in m.model_fields}
    assert fields - documented == set()


# ------------------------------------------------------------------- a scan of both files for split values


def _scan(text: str) -> list[str]:
    """Mistakes of the class that truncated an outcome name, found in the YAML node tree (not by name):
    a key with nothing after it (YAML's implicit null: the tail of a value split at a comma), and a key that is
    not a snake_case name (every field of the format is one)."""
    problems = []

    def walk(node: yaml.Node, where: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = f"{where}.{key.value}"
                if not re.fullmatch(r"[a-z][a-z0-9_]*", key.value):
                    problems.append(f"line {key.start_mark.line + 1}: key {key.value!r} is not a field name")
                if isinstance(value, yaml.ScalarNode) and value.tag.endswith(":null") and value.value == "":
                    problems.append(f"line {key.start_mark.line + 1}: {key.value!r} has no value")
                walk(value, here)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{where}[{i}]")

    walk(yaml.compose(text), "")
    return problems


@pytest.mark.parametrize("path", [SETS_FILE, TAXONOMY_FILE], ids=lambda p: p.name)
def test_no_value_in_the_reference_files_is_split_at_a_comma_or_left_empty(path):
    assert _scan(path.read_text()) == []
    SCHEMA_OF_FILE[path].model_validate(yaml.safe_load(path.read_text()))


def test_the_scan_finds_a_name_split_at_its_comma():
    line = (
        SETS_FILE.read_text()
        .splitlines()
        .index(next(line for line in SETS_FILE.read_text().splitlines() if "{name: Acute complications" in line))
    )
    text = SETS_FILE.read_text().replace(
        "{name: Acute complications within 30 days of AMI, domains: [3, 38]", UNQUOTED_NAME
    )
    assert _scan(text) == [
        f"line {line + 1}: key 'CABG or PCI' is not a field name",
        f"line {line + 1}: 'CABG or PCI' has no value",
    ]


# ------------------------------------------------------------------------ the coronary artery disease correction


def _cad(number: str) -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=CAD, version=number)


def test_the_coronary_artery_disease_set_is_corrected_in_1_0_1_with_the_full_outcome_name(reference_data):
    old, new = _cad("1.0.0"), _cad("1.0.1")
    assert (old.status, new.status) == (Status.SUPERSEDED, Status.PUBLISHED)
    assert new.is_correction and not old.is_correction and new.derived_from == old
    assert new.changelog.startswith("Correction of a transcription error in version 1.0.0")
    assert new.published_display == old.published_display == "2015"
    assert new.outcomes.first().name == FULL_NAME
    diff = version_diff(old=old, new=new)
    assert (diff.added, diff.removed, diff.has_reference_changes, diff.level) == ([], [], False, "patch")
    assert [[(f.field, f.old, f.new) for f in change.fields] for change in diff.changed] == [
        [("name", TRUNCATED, FULL_NAME)]
    ]
    assert diff.unchanged_count == 7


def _cad_under_another_slug(tmp_path: Path, *, with_correction: bool) -> Path:
    """The reference file with the set under a new slug (the test database already holds the real one): as an
    earlier load read it (1.0.0 with the truncated name, no correction), or as it is now."""
    text = SETS_FILE.read_text().replace(f"slug: {CAD}", "slug: cad-loaded-earlier")
    if not with_correction:
        start = text.index('      - version: "1.0.1"')
        text = text[:start] + text[text.index("  - slug: ichom-atrial-fibrillation") :]
    path = tmp_path / f"sets-{with_correction}.yaml"
    path.write_text(text)
    return path


def test_a_database_holding_the_truncated_1_0_0_is_brought_to_the_correction_once(reference_data, tmp_path):
    reference_data_load(sets_file=_cad_under_another_slug(tmp_path, with_correction=False))
    versions = CoreOutcomeSetVersion.objects.filter(core_outcome_set__slug="cad-loaded-earlier")
    assert [(v.version, v.outcomes.first().name) for v in versions] == [("1.0.0", TRUNCATED)]

    report = reference_data_load(sets_file=_cad_under_another_slug(tmp_path, with_correction=True))
    assert report.created == {"versions": 1}
    corrected, old = versions.all()
    assert (corrected.version, corrected.is_correction, corrected.status) == ("1.0.1", True, Status.PUBLISHED)
    assert corrected.outcomes.first().name == FULL_NAME
    assert old.status == Status.SUPERSEDED
    before = _table_counts()
    assert not reference_data_load(sets_file=_cad_under_another_slug(tmp_path, with_correction=True)).changed
    assert _table_counts() == before


def test_a_correction_of_an_outcome_the_version_does_not_have_is_refused(reference_data, tmp_path):
    broken = _broken_copy(
        tmp_path,
        "{outcome: Acute complications within 30 days of AMI, name:",
        "{outcome: Acute complications, name:",
    )
    with pytest.raises(ReferenceDataError, match=r"corrections\[0\] \(Acute complications\): field 'outcome': "):
        reference_data_load(sets_file=broken)


def test_a_correction_must_name_the_version_just_before_it(db, tmp_path):
    broken = _broken_copy(tmp_path, 'correction_of: "1.0.0"', 'correction_of: "0.9.0"')
    before = _table_counts()
    with pytest.raises(ReferenceDataError, match=r"versions\[1\] \(1.0.1\): field 'correction_of'"):
        reference_data_load(sets_file=broken)
    assert _table_counts() == before
