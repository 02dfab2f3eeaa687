from __future__ import annotations

import pytest

from outcomes import selectors
from outcomes.models import CoreOutcomeSetVersion


def load(slug: str, version: str) -> CoreOutcomeSetVersion:
    return selectors.version_document_queryset().get(core_outcome_set__slug=slug, version=version)


@pytest.fixture
def all_reference_versions(reference_data) -> list[CoreOutcomeSetVersion]:
    return list(selectors.version_document_queryset().order_by("core_outcome_set__slug", "major", "minor", "patch"))
