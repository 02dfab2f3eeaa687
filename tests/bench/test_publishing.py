"""The publish scenario of the scale benchmark (bench/publishing.py, bench/scale.py) on a few sets; nothing is timed."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from bench import scale
from bench.publishing import publish_drafts_check, publish_drafts_prepare
from bench.scenarios import PUBLISHER, PUBLISHER_PASSWORD
from outcomes.models import CoreOutcomeSetVersion
from outcomes.permissions import is_curator
from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, VersionFactory

Status = CoreOutcomeSetVersion.Status


@pytest.fixture
def synthetic_sets(db) -> None:
    """Three sets named as the dataset builder names its synthetic sets, and one other; each with a published
    version."""
    for slug in ("bench-set-00002", "bench-set-00000", "bench-set-00001", "another-set"):
        version_publish(version=VersionFactory(core_outcome_set=CoreOutcomeSetFactory(slug=slug)))


def test_drafts_are_made_from_the_synthetic_sets_in_slug_order_by_a_curator(synthetic_sets):
    drafts = publish_drafts_prepare(count=2)
    assert [(d["slug"], d["version"]) for d in drafts] == [("bench-set-00000", "1.0.1"), ("bench-set-00001", "1.0.1")]
    made = CoreOutcomeSetVersion.objects.filter(pk__in=[d["id"] for d in drafts])
    assert set(made.values_list("status", flat=True)) == {Status.DRAFT}
    publisher = get_user_model().objects.get(username=PUBLISHER)
    assert is_curator(publisher)
    assert publisher.check_password(PUBLISHER_PASSWORD)


def test_a_set_with_an_open_draft_is_passed_over(synthetic_sets):
    publish_drafts_prepare(count=2)
    assert [d["slug"] for d in publish_drafts_prepare(count=1)] == ["bench-set-00002"]


def test_asking_for_more_drafts_than_free_sets_makes_none(synthetic_sets):
    with pytest.raises(ValueError, match="only 3 synthetic sets"):
        publish_drafts_prepare(count=4)
    assert not CoreOutcomeSetVersion.objects.filter(status=Status.DRAFT).exists()


def test_the_check_counts_a_draft_left_unpublished(synthetic_sets):
    drafts = publish_drafts_prepare(count=2)
    version_publish(version=CoreOutcomeSetVersion.objects.get(pk=drafts[0]["id"]))
    check = publish_drafts_check([d["id"] for d in drafts])
    assert check == {
        "expected": 2,
        "published": 1,
        "published_once": 1,
        "sets_with_one_published": 2,  # the other set keeps its previous version published
        "exact": False,
    }


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_curator_publishes_every_draft_once_over_http(live_server, monkeypatch):
    for slug in ("bench-set-00000", "bench-set-00001", "bench-set-00002"):
        version_publish(version=VersionFactory(core_outcome_set=CoreOutcomeSetFactory(slug=slug)))
    drafts = publish_drafts_prepare(count=3)
    address = urlsplit(live_server.url)
    monkeypatch.setattr(scale, "HOST", address.hostname)
    monkeypatch.setattr(scale, "PROXY_PORT", address.port)

    cookies = scale.sign_in(PUBLISHER, PUBLISHER_PASSWORD)
    stats = scale.publish_all(drafts, cookies, SimpleNamespace(publish_concurrency=1, time_limit=60))

    assert (stats.requests, stats.errors) == (3, 0)
    assert publish_drafts_check([d["id"] for d in drafts])["exact"] is True
