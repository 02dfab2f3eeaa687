"""Uploading a data source's feasibility report through the API, and the public network view of a version."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, CoreOutcomeSetVersion, FeasibilityReport
from outcomes.services.network import data_source_create, data_source_token_rotate
from tests.outcomes.feasibility.reports import report_for

SET = "ichom-heart-failure"


@pytest.fixture
def version(db) -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=SET, status="published")


@pytest.fixture
def source(curator):
    return data_source_create(name="Synthetic hospital network", country="NL", contact="dp@example.org", by=curator)


def upload(version, document, token: str | None, *, number: str | None = None):
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"DataSource {token}")
    url = reverse("api:version-report-upload", args=[SET, number or version.version])
    return client.post(url, document, format="json")


def test_a_report_uploaded_with_the_token_is_stored_and_audited(version, source):
    data_source, token = source
    response = upload(version, report_for(version, persons={"Survival": 321, "Burden of care": "< 5"}), token)
    assert response.status_code == 201, response.json()
    assert response.json()["data_source"] == "Synthetic hospital network"
    report = FeasibilityReport.objects.get(data_source=data_source, version=version)
    assert report.document["population"]["persons"] == 1234
    event = AuditEvent.objects.get(action="feasibility_report.submit")
    assert event.after["data_source"] == "Synthetic hospital network" and event.after["replaced"] is False


def test_a_second_report_replaces_the_first(version, source):
    _, token = source
    upload(version, report_for(version, persons={"Survival": 10}), token)
    assert upload(version, report_for(version, persons={"Survival": 20}), token).status_code == 201
    report = FeasibilityReport.objects.get(version=version)
    assert next(o for o in report.document["outcomes"] if o["name"] == "Survival")["persons"] == 20
    assert AuditEvent.objects.filter(action="feasibility_report.submit").count() == 2


@pytest.mark.parametrize("token", [None, "cosds_not-a-real-token", "garbage"])
def test_without_a_valid_token_the_upload_is_refused_and_nothing_stored(version, source, token):
    response = upload(version, report_for(version), token)
    assert response.status_code == 401
    assert not FeasibilityReport.objects.exists()


def test_a_rotated_token_stops_working_and_the_new_one_works(version, source, curator):
    data_source, old = source
    new = data_source_token_rotate(data_source=data_source, by=curator)
    assert upload(version, report_for(version), old).status_code == 401
    assert upload(version, report_for(version), new).status_code == 201
    assert new not in str(data_source.__dict__)  # only the hash is kept


def test_a_signed_in_curator_cannot_upload_without_a_data_source_token(version, curator):
    client = APIClient()
    client.force_authenticate(curator)
    response = client.post(reverse("api:version-report-upload", args=[SET, version.version]), {}, format="json")
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.pop("format"), "format"),
        (lambda d: d.update(format="other/1"), "format"),
        (lambda d: d["population"].update(persons=-1), "population.persons"),
        (lambda d: d["population"].update(persons="about 3"), "population.persons"),
        (lambda d: d["outcomes"][0].update(status="counted", mapping_revision=1, persons=3), "outcomes.0.persons"),
        (lambda d: d["population"].update(persons="1234"), "population.persons"),
        (lambda d: d["population"].update(persons=True), "population.persons"),
        (lambda d: d["population"].update(persons=1234.0), "population.persons"),
        (lambda d: d["outcomes"][0].update(status="counted", persons=None, mapping_revision=1), "outcomes.0"),
        (lambda d: d["outcomes"][0].update(status="not_mapped", persons=40, mapping_revision=None), "outcomes.0"),
        (lambda d: d["outcomes"][0].update(status="counted", mapping_revision=1, persons="< 4"), "outcomes.0.persons"),
        (lambda d: d["population"].update(persons=2), "population.persons"),
        (lambda d: d["outcomes"][0].update(identity="not-a-uuid"), "outcomes.0.identity"),
        (lambda d: d["outcomes"][0].update(patients=[1, 2, 3]), "outcomes.0.patients"),
        (lambda d: d.update(person_ids=[1, 2]), "person_ids"),
        (lambda d: d.update(generated_at="yesterday"), "generated_at"),
        (lambda d: d.update(min_cell_count=3), "min_cell_count"),
        (lambda d: d["set"].update(version="9.9.9"), "set.version"),
        (lambda d: d["set"].update(slug="another-set"), "set.slug"),
        (lambda d: d["outcomes"][1].update(identity=d["outcomes"][0]["identity"]), "outcomes.1.identity"),
        (lambda d: d["outcomes"][0].update(identity="00000000-0000-4000-8000-000000000000"), "outcomes.0.identity"),
    ],
)
def test_a_bad_report_is_a_400_naming_the_field_and_nothing_is_stored(version, source, change, field):
    _, token = source
    document = report_for(version, persons={"Survival": 40})
    change(document)
    response = upload(version, document, token)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"], response.json()
    assert not FeasibilityReport.objects.exists()


def test_a_report_for_a_version_the_set_lacks_is_not_found(version, source):
    _, token = source
    assert upload(version, report_for(version), token, number="9.9.9").status_code == 404
    assert not FeasibilityReport.objects.exists()


def test_a_report_on_another_set_than_its_address_is_refused(version, source):
    _, token = source
    superseded = CoreOutcomeSetVersion.objects.select_related("core_outcome_set").get(
        core_outcome_set__slug="localised-prostate-cancer-compacters", status="superseded"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"DataSource {token}")
    url = reverse("api:version-report-upload", args=[superseded.core_outcome_set.slug, superseded.version])
    answer = client.post(url, report_for(version), format="json")
    assert answer.status_code == 400 and "set.slug" in answer.json()["error"]["fields"]
    assert not FeasibilityReport.objects.exists()


def test_the_network_view_shows_bands_small_cells_not_found_and_not_mapped(version, source, curator, client):
    _, token = source
    persons = {"Survival": 321, "Burden of care": "< 5", "Symptom burden": 0, "Functional status": 12_345}
    upload(version, report_for(version, persons=persons), token)
    _, token2 = data_source_create(name="Another synthetic source", country="DE", contact="x@example.org", by=curator)
    upload(version, report_for(version, persons={"Survival": 50}), token2)
    body = client.get(reverse("api:version-network", args=[SET, version.version])).json()
    assert [s["name"] for s in body["data_sources"]] == ["Another synthetic source", "Synthetic hospital network"]
    rows = {o["name"]: o for o in body["outcomes"]}
    assert [c["label"] for c in rows["Survival"]["cells"]] == ["5–99", "100–999"]
    assert rows["Survival"]["measurable_in"] == 2
    assert [c["label"] for c in rows["Burden of care"]["cells"]] == ["not mapped", "< 5"]
    assert rows["Burden of care"]["measurable_in"] == 1
    assert rows["Symptom burden"]["cells"][1] == {"kind": "not_found", "label": "not found", "mapping_revision": 1}
    assert rows["Functional status"]["cells"][1]["label"] == "10,000–99,999"
    assert rows["Psychosocial wellbeing"]["measurable_in"] == 0
    assert body["measurable_outcomes"] == 3
    cells = str([row["cells"] for row in body["outcomes"]])  # not the identities: a random UUID may hold "321"
    assert "321" not in cells and "12345" not in cells  # bands only, never the exact counts


def test_the_network_view_of_a_version_without_reports_is_empty(version, client):
    body = client.get(reverse("api:version-network", args=[SET, "latest"])).json()
    assert body["data_sources"] == [] and body["measurable_outcomes"] == 0
    assert all(o["cells"] == [] for o in body["outcomes"])


def test_the_network_views_query_count_does_not_grow_with_data_sources(
    version, curator, client, django_assert_max_num_queries
):
    url = reverse("api:version-network", args=[SET, version.version])

    def add_sources(n: int, start: int) -> None:
        for i in range(start, start + n):
            source, _ = data_source_create(
                name=f"Synthetic source {i}", country="NL", contact="x@example.org", by=curator
            )
            FeasibilityReport.objects.create(
                data_source=source,
                version=version,
                document=report_for(version, persons={"Survival": 40 + i}),
                generated_at="2026-11-30T12:00:00Z",
                received_at="2026-11-30T12:00:00Z",
            )

    add_sources(1, 0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    add_sources(6, 1)
    with django_assert_max_num_queries(len(one)):
        body = client.get(url).json()
    assert len(body["data_sources"]) == 7
