"""A value a spreadsheet would run as a formula comes out escaped in every CSV-like output: the version CSV, the
REDCap data dictionary, and the registry dumps in both formats (their members and manifest)."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest

from outcomes import selectors
from outcomes.exports import csv_text, export_format
from outcomes.models import RegistryDump
from outcomes.services.dumps import registry_dump_build
from outcomes.services.versions import version_publish
from tests.factories import MeasurementFactory, OutcomeFactory, UserFactory, VersionFactory

pytestmark = pytest.mark.django_db

FORMULAS = ("=1+2", "@SUM(A1)", "+1", "-1+2", "\t=1")


def cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def hostile_version():
    version = VersionFactory(core_outcome_set__title="=HYPERLINK(1)")
    outcome = OutcomeFactory(version=version, name="@SUM(A1)", definition="=1+2")
    MeasurementFactory(outcome=outcome, instrument=None, timing="+1 week")
    return version


def assert_no_formula(text: str) -> None:
    found = cells(text)
    assert found, "the document has no cells"
    for cell in found:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_one_csv_writer_escapes_every_formula_prefix(formula):
    text = csv_text(["h"], [[formula], [formula, "plain"]])
    assert cells(text) == ["h", "'" + formula, "'" + formula, "plain"]


def test_numbers_and_empty_cells_pass_through_the_csv_writer_unchanged():
    assert cells(csv_text(["n", "empty"], [[7, None], [0.5, ""]])) == ["n", "empty", "7", "", "0.5", ""]


@pytest.mark.parametrize("name", ["csv", "redcap"])
def test_a_formula_in_a_definition_name_title_or_timing_is_escaped_in_the_export(reference_data, name):
    version = hostile_version()
    text = export_format(name).render(selectors.version_document_queryset().get(pk=version.pk)).decode()
    assert_no_formula(text)
    assert "'=1+2" in cells(text) or any(cell.startswith("'=1+2") for cell in cells(text))
    assert any(cell.startswith("'@SUM(A1)") for cell in cells(text))


def test_the_redcap_dictionary_keeps_its_own_values_and_emits_no_calculated_field(reference_data):
    """REDCap reads the file: field types, variable and form names must arrive as written; no calculation field
    (whose formula the escaping would break) is emitted, and the yes/no type needs no choices column."""
    version = hostile_version()
    text = export_format("redcap").render(selectors.version_document_queryset().get(pk=version.pk)).decode()
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert {row[3] for row in rows} <= {"text", "descriptive", "yesno"}
    assert all(row[5] == "" for row in rows)  # no choices or calculations
    assert [row[0] for row in rows][:2] == ["record_id", "cos_source"]


@pytest.mark.parametrize("fmt", ["csv", "redcap"])
def test_a_formula_is_escaped_in_every_file_of_a_registry_dump(reference_data, settings, tmp_path, fmt):
    settings.MEDIA_ROOT = tmp_path
    version = hostile_version()
    version_publish(version=version, by=None)
    dump = registry_dump_build(dump=RegistryDump.objects.create(format=fmt, requested_by=UserFactory()))
    assert dump.status == RegistryDump.Status.READY
    with zipfile.ZipFile(dump.file_path) as archive:
        members = [name for name in archive.namelist() if name.endswith(".csv")]
        hostile = [name for name in members if name.startswith(version.core_outcome_set.slug + "/")]
        assert hostile and "MANIFEST.csv" in members
        for name in members:
            assert_no_formula(archive.read(name).decode())
