"""The network view on the set and version pages, the runner's download, and the curators' data source pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from outcomes.feasibility import cos_feasibility
from outcomes.models import AuditEvent, CoreOutcomeSetVersion, DataSource
from outcomes.services.consensus.common import token_hash
from outcomes.services.network import data_source_create, feasibility_report_submit
from tests.outcomes.feasibility.reports import report_for

pytestmark = pytest.mark.django_db
SET = "ichom-heart-failure"


@pytest.fixture
def version(reference_data) -> CoreOutcomeSetVersion:
    return CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=SET, status="published")


def add_report(version, curator, name: str, persons: dict, population: object = 900) -> DataSource:
    source, _ = data_source_create(name=name, country="NL", contact="dp@example.org", by=curator)
    feasibility_report_submit(
        data_source=source, version=version, document=report_for(version, persons=persons, population=population)
    )
    return source


def test_the_set_page_shows_the_matrix_of_outcomes_by_data_source(client, version, curator):
    add_report(version, curator, "Synthetic source A", {"Survival": 4321, "Burden of care": "< 5", "Symptom burden": 0})
    page = client.get(reverse("web:set-detail", args=[SET])).content.decode()
    assert "Measurable in real-world data" in page and "Synthetic source A" in page
    assert "1,000–9,999" in page and "&lt; 5" in page and "not found" in page and "not mapped" in page
    assert "4321" not in page and "4,321" not in page
    assert "report of 30 Nov 2026" in page
    assert "3 of 5 outcomes" not in page and "2 of 5 outcomes found" in page


def test_a_version_without_reports_says_so(client, version):
    page = client.get(reverse("web:version-detail", args=[SET, version.version])).content.decode()
    assert f"No data source has reported on version {version.version} yet." in page


def test_the_set_pages_query_count_does_not_grow_with_data_sources(client, version, curator):
    add_report(version, curator, "Synthetic source 0", {"Survival": 10})
    url = reverse("web:set-detail", args=[SET])
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(1, 6):
        add_report(version, curator, f"Synthetic source {n}", {"Survival": 10 + n, "Symptom burden": 100})
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "Synthetic source 5" in page
    assert len(many) == len(one)


def test_the_runner_is_downloadable_by_anyone_as_the_file_in_the_repository(client):
    response = client.get(reverse("web:feasibility-runner"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"] and "cos_feasibility.py" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with open(cos_feasibility.__file__, "rb") as fh:
        assert body == fh.read()


def test_a_curator_registers_a_data_source_and_sees_its_token_once(client, curator):
    client.force_login(curator)
    data = {"name": "Synthetic hospital", "country": "NL", "cdm_version": "v5.4", "contact": "dp@example.org"}
    response = client.post(reverse("network:data-sources"), data)
    assert response.status_code == 201
    token = response.context["token"]
    source = DataSource.objects.get(name="Synthetic hospital")
    assert source.token_hash == token_hash(token) and token in response.content.decode()
    assert token not in client.get(reverse("network:data-sources")).content.decode()
    assert token not in client.get(reverse("network:data-source", args=[source.pk])).content.decode()
    assert AuditEvent.objects.filter(action="data_source.create", object_id=str(source.pk)).exists()


def test_a_second_data_source_of_the_same_name_is_a_form_error(client, curator):
    client.force_login(curator)
    data_source_create(name="Synthetic hospital", country="NL", contact="dp@example.org", by=curator)
    data = {"name": "synthetic HOSPITAL", "country": "NL", "cdm_version": "v5.4", "contact": "dp@example.org"}
    response = client.post(reverse("network:data-sources"), data)
    assert response.status_code == 400
    assert DataSource.objects.count() == 1


def test_rotating_the_token_shows_a_new_one_and_invalidates_the_old(client, curator):
    source, old = data_source_create(name="Synthetic hospital", country="NL", contact="dp@example.org", by=curator)
    client.force_login(curator)
    response = client.post(reverse("network:data-source", args=[source.pk]))
    new = response.context["token"]
    source.refresh_from_db()
    assert new != old and source.token_hash == token_hash(new) and new in response.content.decode()
    assert AuditEvent.objects.filter(action="data_source.token_rotate").count() == 1


def test_the_admin_issues_a_token_when_a_data_source_is_added(client, reference_data):
    from tests.factories import SiteAdminFactory

    client.force_login(SiteAdminFactory())
    data = {"name": "Admin synthetic source", "country": "BE", "cdm_version": "v5.4", "contact": "a@example.org"}
    response = client.post(reverse("admin:outcomes_datasource_add"), {**data, "description": ""}, follow=True)
    assert response.status_code == 200
    source = DataSource.objects.get(name="Admin synthetic source")
    shown = [str(m) for m in response.context["messages"]]
    assert any("shown only now" in m for m in shown)
    token = next(m for m in shown if "shown only now" in m).rsplit(" ", 1)[-1]
    assert source.token_hash == token_hash(token)
