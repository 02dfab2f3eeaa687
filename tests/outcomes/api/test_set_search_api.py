"""The set list's `q` and `domain` filters find what is public, through the version lifecycle (search index)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from diseases.models import DiseaseArea
from outcomes.models import Outcome, OutcomeDomain
from outcomes.services.versions import version_consensus_start, version_draft_create, version_publish, version_withdraw
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db


def found(client, **params) -> list[str]:
    response = client.get(reverse("api:cos-list"), {**params, "ordering": "slug", "page_size": 100})
    assert response.status_code == 200, response.json()
    return [item["slug"] for item in response.json()["results"]]


def test_publishing_a_version_makes_its_outcomes_findable_by_word_and_domain(client, reference_data):
    version = version_with_content(outcomes=("Zygomatic arch pain",), publish=False)
    slug = version.core_outcome_set.slug
    assert slug not in found(client, q="zygomatic")
    version_publish(version=version)
    assert found(client, q="zygomatic") == [slug]
    assert found(client, q="ARCH zygomatic") == [slug]  # each word alone, any case, anywhere in the set
    assert slug in found(client, domain=1)


def test_a_drafts_or_in_consensus_versions_outcomes_are_not_found(client, reference_data):
    published = version_with_content(outcomes=("Pain",))
    draft = version_draft_create(from_version=published)
    OutcomeFactory(version=draft, name="Quixotic outcome", domains=[OutcomeDomain.objects.get(number=37)])
    assert found(client, q="quixotic") == []
    version_consensus_start(version=draft)
    assert found(client, q="quixotic") == []
    assert published.core_outcome_set.slug not in found(client, domain=37)


def test_the_current_versions_outcomes_are_found_and_a_withdrawn_current_version_stays_findable(client, reference_data):
    first = version_with_content(outcomes=("Pain", "Xerostomia"))
    draft = version_draft_create(from_version=first)
    Outcome.objects.filter(version=draft, name="Xerostomia").delete()
    OutcomeFactory(version=draft, name="Dysgeusia")
    second = version_publish(version=draft)
    slug = first.core_outcome_set.slug
    # As on the search page: what the set's current version holds (xerostomia is only in the superseded 1.0.0).
    assert found(client, q="dysgeusia") == [slug]
    assert found(client, q="xerostomia") == []
    version_withdraw(version=second, reason="Retracted")
    assert found(client, q="dysgeusia") == [slug]


def test_a_set_without_a_public_version_is_found_by_its_title(client, reference_data):
    cos = CoreOutcomeSetFactory(title="Vulvodynia outcomes")
    version_with_content(cos=cos, outcomes=("Dyspareunia",), publish=False)
    assert found(client, q="vulvodynia") == [cos.slug]
    assert found(client, q="dyspareunia") == []  # the draft's outcome is not searched


def test_a_word_never_matches_across_two_outcome_names_or_the_title(client, reference_data):
    version = version_with_content(outcomes=("Alpha", "Beta"))
    assert found(client, q="alphabeta") == [] and found(client, q="betaalpha") == []
    assert found(client, q="alpha beta") == [version.core_outcome_set.slug]


def test_changing_a_title_and_disease_area_in_the_admin_is_reflected_in_the_filters(
    admin_client, client, reference_data
):
    version = version_with_content(outcomes=("Pain",))
    cos = version.core_outcome_set
    area = DiseaseArea.objects.get(slug="prostate-cancer")
    data = {
        "slug": cos.slug,
        "title": "Renamed: hidradenitis",
        "disease_area": area.pk,
        "scope_population": cos.scope_population,
        "developers": cos.developers,
        "completeness": cos.completeness,
        "method": "{}",
        "versions-TOTAL_FORMS": "1",
        "versions-INITIAL_FORMS": "1",
        "versions-MIN_NUM_FORMS": "0",
        "versions-MAX_NUM_FORMS": "1000",
        "versions-0-id": version.pk,
        "versions-0-core_outcome_set": cos.pk,
    }
    response = admin_client.post(reverse("admin:outcomes_coreoutcomeset_change", args=[cos.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert found(client, q="hidradenitis") == [cos.slug]
    assert found(client, q="hidradenitis", disease_area="prostate-cancer", domain=1) == [cos.slug]
