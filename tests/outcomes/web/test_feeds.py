"""Atom feeds of new publications and withdrawals, parsed as a feed reader would (feedparser) and as Atom XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.conf import settings
from django.urls import reverse

from outcomes.models import CoreOutcomeSetVersion
from outcomes.services.versions import version_publish, version_withdraw
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, VersionFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def _feed(client, name: str, *args) -> feedparser.FeedParserDict:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - our own feed, parsed to check it is well-formed Atom
    assert root.tag == f"{ATOM}feed"
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    return feed


def _withdraw_heart_failure() -> CoreOutcomeSetVersion:
    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="ichom-heart-failure", version="1.0.0")
    return version_withdraw(version=version, reason="Synthetic reason: superseded by a newer consensus")


def test_the_registry_feed_lists_publications_and_withdrawals_newest_first(client, reference_data):
    _withdraw_heart_failure()
    feed = _feed(client, "web:feed")
    titles = [entry.title for entry in feed.entries]
    assert titles[0] == "Withdrawn: ICHOM Standard Set for heart failure, version 1.0.0"
    assert "Published: ICHOM Standard Set for heart failure, version 1.0.0" in titles
    withdrawal = feed.entries[0]
    assert withdrawal.link == f"{settings.SITE_URL}/sets/ichom-heart-failure/v/1.0.0/"
    assert "Synthetic reason: superseded by a newer consensus" in withdrawal.summary
    assert withdrawal.id.endswith("#withdrawn")
    assert len({entry.id for entry in feed.entries}) == len(feed.entries)
    updated = [entry.updated_parsed for entry in feed.entries]
    assert updated == sorted(updated, reverse=True)


def test_a_draft_never_appears_in_a_feed(client, reference_data):
    cos = CoreOutcomeSetFactory(title="Synthetic set with a draft only")
    OutcomeFactory(version=VersionFactory(core_outcome_set=cos, version="1.0.0"))
    assert all("Synthetic set with a draft only" not in e.title for e in _feed(client, "web:feed").entries)
    assert _feed(client, "web:feed-set", cos.slug).entries == []


def test_the_disease_area_feed_holds_only_that_areas_sets(client, reference_data):
    cos = CoreOutcomeSetFactory(title="Synthetic other-area set")
    version = VersionFactory(core_outcome_set=cos, version="1.0.0")
    OutcomeFactory(version=version)
    version_publish(version=version)
    area = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug="ichom-heart-failure", version="1.0.0")
    slug = area.core_outcome_set.disease_area.slug
    feed = _feed(client, "web:feed-area", slug)
    assert feed.entries and all(
        area.core_outcome_set.disease_area.name in [t.term for t in e.tags] for e in feed.entries
    )
    assert all("Synthetic other-area set" not in e.title for e in feed.entries)
    assert any(
        "Synthetic other-area set" in e.title for e in _feed(client, "web:feed-area", cos.disease_area.slug).entries
    )


def test_the_set_feed_follows_one_set(client, reference_data):
    _withdraw_heart_failure()
    feed = _feed(client, "web:feed-set", "ichom-heart-failure")
    assert [e.title.split(":")[0] for e in feed.entries] == ["Withdrawn", "Published"]
    assert feed.feed.title == "COS Registry: new and withdrawn versions of ICHOM Standard Set for heart failure"


def test_a_feed_of_an_unknown_set_or_area_is_a_404(client, reference_data):
    assert client.get(reverse("web:feed-set", args=["no-such-set"])).status_code == 404
    assert client.get(reverse("web:feed-area", args=["no-such-area"])).status_code == 404


@pytest.mark.parametrize(
    ("page", "args", "feed", "feed_args"),
    [
        ("web:home", [], "web:feed", []),
        ("web:disease-area", ["heart-disease"], "web:feed-area", ["heart-disease"]),
        ("web:set-detail", ["ichom-heart-failure"], "web:feed-set", ["ichom-heart-failure"]),
        ("web:version-detail", ["ichom-heart-failure", "1.0.0"], "web:feed-set", ["ichom-heart-failure"]),
    ],
)
def test_pages_link_their_feed_in_the_head_and_visibly(client, reference_data, page, args, feed, feed_args):
    html = client.get(reverse(page, args=args)).content.decode()
    url = reverse(feed, args=feed_args)
    assert '<link rel="alternate" type="application/atom+xml" title="' in html
    assert f'href="{url}">' in html.split("</head>")[0]
    assert f'class="feed-link" href="{url}"' in html.split("</head>")[1]


def test_a_feed_issues_the_same_number_of_queries_whatever_the_number_of_versions(
    client, reference_data, django_assert_max_num_queries
):
    for k in range(5):
        cos = CoreOutcomeSetFactory()
        version = VersionFactory(core_outcome_set=cos, version="1.0.0")
        OutcomeFactory(version=version)
        version_publish(version=version)
        version_withdraw(version=version, reason=f"Synthetic withdrawal {k}")
    with django_assert_max_num_queries(3):
        client.get(reverse("web:feed"))
