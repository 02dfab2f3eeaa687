from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from diseases.models import Condition, DiseaseArea, Icd10Code
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Measurement, Outcome, OutcomeDomain
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
    assert CoreOutcomeSetVersion.objects.count() == 12


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
    angina = Outcome.objects.get(version__core_outcome_set__slug="ichom-coronary-artery-disease", name="Angina")
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
