"""A version's DOI: metadata outside the frozen content, held to a DOI's shape and uniqueness by the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from outcomes.models import CoreOutcomeSetVersion
from outcomes.services.versions import doi_normalise
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen(reference_data) -> CoreOutcomeSetVersion:
    return version_with_content()


def test_a_doi_can_be_recorded_on_a_frozen_version_below_the_orm(frozen):
    assert frozen.is_frozen
    CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(doi="10.5555/minted-later")
    frozen.refresh_from_db()
    assert frozen.doi == "10.5555/minted-later"


@pytest.mark.parametrize("bad", ["11.5555/x", "10.55/x", "10.5555/a b", "10.5555/"])
def test_the_database_refuses_a_value_that_is_not_a_doi(frozen, bad):
    with pytest.raises(IntegrityError), transaction.atomic():
        CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(doi=bad)


def test_two_versions_cannot_share_a_doi_but_many_have_none(reference_data):
    versions = list(CoreOutcomeSetVersion.objects.filter(status="published")[:2])
    assert all(v.doi == "" for v in versions)
    CoreOutcomeSetVersion.objects.filter(pk=versions[0].pk).update(doi="10.5555/one")
    with pytest.raises(IntegrityError), transaction.atomic():
        CoreOutcomeSetVersion.objects.filter(pk=versions[1].pk).update(doi="10.5555/one")


@pytest.mark.parametrize(
    ("entered", "doi"),
    [
        ("  10.1000/182 ", "10.1000/182"),
        ("https://doi.org/10.1000/182", "10.1000/182"),
        ("http://dx.doi.org/10.1000/182", "10.1000/182"),
        ("DOI:10.1000/182", "10.1000/182"),
        ("", ""),
    ],
)
def test_a_pasted_doi_link_or_prefix_is_reduced_to_the_doi_name(entered, doi):
    assert doi_normalise(entered) == doi
