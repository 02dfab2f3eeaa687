"""The registry dump carries the network view of every current version that data sources reported on."""

from __future__ import annotations

import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outcomes.models import CoreOutcomeSetVersion, RegistryDump
from outcomes.services.dumps import registry_dump_build
from outcomes.services.network import data_source_create, feasibility_report_submit
from tests.outcomes.feasibility.reports import report_for


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _report(version, name: str, curator, persons: dict) -> None:
    source, _ = data_source_create(name=name, country="NL", contact="dp@example.org", by=curator)
    feasibility_report_submit(data_source=source, version=version, document=report_for(version, persons=persons))


def _build(curator) -> tuple[RegistryDump, int]:
    dump = RegistryDump.objects.create(format="json", requested_by=curator)
    with CaptureQueriesContext(connection) as queries:
        dump = registry_dump_build(dump=dump)
    return dump, len(queries)


def test_the_dump_holds_the_network_view_of_reported_versions(reference_data, curator):
    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="ichom-heart-failure", status="published")
    _report(version, "Synthetic source A", curator, {"Survival": 250})
    dump, _ = _build(curator)
    assert dump.status == RegistryDump.Status.READY
    with zipfile.ZipFile(dump.file_path) as archive:
        network = json.loads(archive.read("NETWORK.json"))
    assert [(v["set"], v["version"]) for v in network] == [("ichom-heart-failure", version.version)]
    survival = next(o for o in network[0]["outcomes"] if o["name"] == "Survival")
    assert survival["cells"][0]["label"] == "100–999" and survival["measurable_in"] == 1


def test_the_dumps_query_count_does_not_grow_with_reports(reference_data, curator):
    heart = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="ichom-heart-failure", status="published")
    _report(heart, "Synthetic source A", curator, {"Survival": 250})
    _, one = _build(curator)
    others = CoreOutcomeSetVersion.objects.filter(status="published").exclude(pk=heart.pk)[:3]
    for n, version in enumerate(others):
        _report(version, f"Synthetic source {n}", curator, {})
    _report(heart, "Synthetic source B", curator, {"Survival": 7})
    _, many = _build(curator)
    assert many == one
