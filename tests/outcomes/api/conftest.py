from __future__ import annotations

import pytest

from outcomes.models import ConsensusProcess, CoreOutcomeSet
from tests.factories import MeasurementFactory, OutcomeFactory, ReferenceFactory, VersionFactory


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
