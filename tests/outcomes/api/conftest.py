from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from outcomes.models import ConsensusProcess, CoreOutcomeSet
from outcomes.permissions import CURATORS_GROUP
from tests.factories import MeasurementFactory, OutcomeFactory, ReferenceFactory, UserFactory, VersionFactory


@pytest.fixture
def curator(db):
    user = UserFactory(username="curator")
    group, _ = Group.objects.get_or_create(name=CURATORS_GROUP)
    user.groups.add(group)
    return user


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider")


@pytest.fixture
def facilitator(db):
    return UserFactory(username="facilitator")


@pytest.fixture
def heart_failure_draft(reference_data, facilitator):
    """A draft 2.0.0 of the heart failure set, built by a consensus process that `facilitator` runs."""
    cos = CoreOutcomeSet.objects.get(slug="ichom-heart-failure")
    published = cos.versions.get(version="1.0.0")
    draft = VersionFactory(core_outcome_set=cos, version="2.0.0", derived_from=published, changelog="Draft update")
    outcome = OutcomeFactory(version=draft, name='=HYPERLINK("http://evil")')
    MeasurementFactory(outcome=outcome, timing="Baseline")
    ReferenceFactory(version=draft)
    process = ConsensusProcess.objects.create(core_outcome_set=cos, draft_version=draft, title="HF update")
    process.facilitators.add(facilitator)
    return draft
