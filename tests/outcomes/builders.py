"""Small builders for version-lifecycle tests: a set with a version holding outcomes, measurements, references."""

from __future__ import annotations

from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, OutcomeDomain
from outcomes.services.versions import version_publish
from tests.factories import (
    CoreOutcomeSetFactory,
    MeasurementFactory,
    OutcomeFactory,
    ReferenceFactory,
    VersionFactory,
)


def version_with_content(
    *,
    cos: CoreOutcomeSet | None = None,
    number: str = "1.0.0",
    outcomes: tuple[str, ...] = ("Pain", "Mortality"),
    publish: bool = True,
) -> CoreOutcomeSetVersion:
    version = VersionFactory(core_outcome_set=cos or CoreOutcomeSetFactory(), version=number)
    for name in outcomes:
        outcome = OutcomeFactory(version=version, name=name, domains=[OutcomeDomain.objects.get(number=1)])
        MeasurementFactory(outcome=outcome)
    ReferenceFactory(version=version, citation="Author A. Journal 2020")
    if publish:
        version_publish(version=version, number=number)
    return version
