"""load_demo_data: a labelled synthetic process, populated on a fresh database, and idempotent."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import call_command

from outcomes.models import ConsensusProcess, ItemResult, Panelist, Rating, Round
from outcomes.permissions import is_curator, is_facilitator

pytestmark = pytest.mark.django_db


def test_demo_data_loads_a_synthetic_heart_failure_update_once_with_logins_and_links(reference_data):
    out = io.StringIO()
    call_command("load_demo_data", stdout=out)
    process = ConsensusProcess.objects.get(is_demo=True)
    assert process.core_outcome_set.slug == "ichom-heart-failure" and "synthetic" in process.title
    assert Panelist.objects.filter(process=process).count() == 60
    assert set(process.panelists.values_list("group__name", flat=True)) == set(
        process.groups.values_list("name", flat=True)
    )
    rounds = list(process.rounds.order_by("number"))
    assert [(r.number, r.status) for r in rounds] == [(1, "closed"), (2, "closed"), (3, "open")]
    assert all(r.tallied_at for r in rounds[:2])
    assert ItemResult.objects.filter(round_item__round=rounds[0], group__isnull=True).exclude(classification="none")
    assert not mail.outbox  # synthetic panelists are not emailed
    text = out.getvalue()
    assert "demo-facilitator / demo-facilitator-pass" in text and "/panel/t/" in text
    facilitator = authenticate(username="demo-facilitator", password="demo-facilitator-pass")
    assert facilitator is not None and is_facilitator(facilitator, process)
    assert is_curator(authenticate(username="demo-curator", password="demo-curator-pass"))

    ratings = Rating.objects.count()
    call_command("load_demo_data", stdout=io.StringIO())
    assert ConsensusProcess.objects.filter(is_demo=True).count() == 1
    assert Rating.objects.count() == ratings
    assert Round.objects.filter(process=process).count() == 3


def test_demo_data_loads_one_synthetic_data_source_whose_report_shows_on_the_set_page(reference_data, client):
    call_command("load_demo_data", "--quiet-links", stdout=io.StringIO())
    call_command("load_demo_data", "--quiet-links", stdout=io.StringIO())
    from outcomes.models import DataSource, FeasibilityReport

    source = DataSource.objects.get()
    assert source.is_demo and "synthetic" in source.name.lower()
    assert FeasibilityReport.objects.get().data_source == source
    page = client.get("/sets/ichom-heart-failure/").content.decode()
    assert "Demo synthetic OMOP data source" in page and "demo, synthetic" in page
    assert "1,000–9,999" in page and "&lt; 5" in page and "not mapped" in page and "not found" in page
