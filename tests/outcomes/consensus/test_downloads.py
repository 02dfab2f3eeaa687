"""The consensus downloads: one builder for the page and the API, drafts never in the ratings."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from outcomes import cos_stad
from outcomes.services import consensus as svc

from .conftest import open_first_round, rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def tallied(process, facilitator, members, django_capture_on_commit_callbacks):
    round1 = open_first_round(process, facilitator)
    for member, score in zip(members[:3], [8, 5, 2], strict=True):
        rate_all(member, round1, score)
    rate_all(members[3], round1, 9, complete=False)  # a draft: not tallied, not downloaded
    with django_capture_on_commit_callbacks(execute=True):
        svc.round_close(round=round1, by=facilitator)
    return process


@pytest.mark.parametrize("name", ["ratings", "results", "report"])
def test_the_page_and_the_api_serve_the_same_csv(tallied, facilitator, name):
    page = Client()
    page.force_login(facilitator)
    api = APIClient()
    api.force_authenticate(facilitator)
    from_page = page.get(reverse(f"facilitator:{name}-csv", args=[tallied.pk]))
    from_api = api.get(reverse(f"api:consensus-{name}-csv", args=[tallied.pk]))
    assert from_page.status_code == from_api.status_code == 200
    assert from_page.content == from_api.content and from_page.content.count(b"\r\n") > 1
    assert from_api["Content-Disposition"] == f'attachment; filename="process-{tallied.pk}-{name}.csv"'


def test_the_ratings_download_holds_the_submitted_answers_only(tallied, facilitator, members):
    api = APIClient()
    api.force_authenticate(facilitator)
    rows = api.get(reverse("api:consensus-ratings", args=[tallied.pk])).json()["ratings"]
    assert {row["panelist_code"] for row in rows} == {m.panelist.code for m in members[:3]}
    assert all(row["submitted_at"] and row["count"] == 1 and row["source"] == "panelist" for row in rows)


def test_the_report_download_states_the_definition_participation_and_rounds(tallied, facilitator):
    api = APIClient()
    api.force_authenticate(facilitator)
    report = api.get(reverse("api:consensus-report", args=[tallied.pk])).json()
    assert report["definition"]["in_high_min_pct"] == 70
    assert [(r["number"], r["status"], r["completed"]) for r in report["rounds"]] == [(1, "closed", 3)]
    overall = next(p for p in report["participation"] if p["group"] == "All panelists")
    assert (overall["invited"], overall["started"], overall["completed"]) == (4, 4, 3)


def test_the_report_download_states_the_cos_stad_standards_as_the_report_page_does(tallied, facilitator):
    api = APIClient()
    api.force_authenticate(facilitator)
    stad = api.get(reverse("api:consensus-report", args=[tallied.pk])).json()["cos_stad"]
    tallied.refresh_from_db()  # the definition was locked when round 1 opened
    expected = cos_stad.process_cos_stad(tallied)
    assert (stad["citation"], stad["doi_url"]) == (cos_stad.CITATION, cos_stad.DOI_URL)
    assert stad["standards"] == [
        {"number": s.number, "domain": s.domain, "standard": s.text, "status": s.status, "evidence": s.evidence}
        for s in expected
    ]
    assert [s["number"] for s in stad["standards"]] == list(range(1, 12))
    assert stad["standards"][8]["status"] == "met"  # round 1 opened: the definition was locked a priori
    rows = list(
        csv.DictReader(io.StringIO(api.get(reverse("api:consensus-report-csv", args=[tallied.pk])).content.decode()))
    )
    status = {r["item"]: r["value"] for r in rows if r["section"] == "cos_stad" and r["measure"] == "status"}
    assert status == {s.text: s.status for s in expected}
    evidence = {r["item"]: r["value"] for r in rows if r["section"] == "cos_stad" and r["measure"] == "evidence"}
    assert evidence[expected[8].text] == expected[8].evidence
    page = Client()
    page.force_login(facilitator)
    html = page.get(reverse("facilitator:report", args=[tallied.pk])).content.decode()
    assert all(escape(s.evidence) in html for s in expected)


def test_the_json_downloads_match_their_documented_schema(tallied, facilitator):
    from outcomes.api.consensus.download_serializers import (
        RatingsDownloadSerializer,
        ReportDownloadSerializer,
        ResultsDownloadSerializer,
    )

    api = APIClient()
    api.force_authenticate(facilitator)
    for name, serializer in (("ratings", RatingsDownloadSerializer), ("results", ResultsDownloadSerializer)):
        document = api.get(reverse(f"api:consensus-{name}", args=[tallied.pk])).json()
        checked = serializer(data=document)
        assert checked.is_valid(), (name, checked.errors)
        assert set(document[name][0]) == set(serializer().fields[name].child.fields)
    report = api.get(reverse("api:consensus-report", args=[tallied.pk])).json()
    checked = ReportDownloadSerializer(data=report)
    assert checked.is_valid(), checked.errors
    fields = ReportDownloadSerializer().fields
    assert set(report) == set(fields)
    for name in ("rounds", "participation", "not_in_final_set"):  # not finalised: no final set yet
        assert report[name] and all(set(row) == set(fields[name].child.fields) for row in report[name]), name
    assert set(report["cos_stad"]["standards"][0]) == set(fields["cos_stad"].fields["standards"].child.fields)
