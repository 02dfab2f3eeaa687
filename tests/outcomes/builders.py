"""Small builders for tests: a set with a version holding outcomes, measurements, references; published sets of an
area (pagination, search)."""

from __future__ import annotations

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Instrument, OutcomeDomain
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


def add_sets(count: int, *, area: DiseaseArea, title: str = "Zz set", outcome: str = "Pain") -> list[CoreOutcomeSet]:
    """`count` published sets of `area` titled "<title> 01", ..., each with one outcome in domain 3 measured with
    EQ-5D, attached to the condition heart failure."""
    cardiac = OutcomeDomain.objects.get(number=3)
    eq5d = Instrument.objects.get(acronym="EQ-5D")
    heart_failure = Condition.objects.get(slug="heart-failure")
    sets = []
    for n in range(1, count + 1):
        cos = CoreOutcomeSetFactory(title=f"{title} {n:02d}", disease_area=area)
        cos.conditions.add(heart_failure)
        version = VersionFactory(core_outcome_set=cos)
        MeasurementFactory(outcome=OutcomeFactory(version=version, name=outcome, domains=[cardiac]), instrument=eq5d)
        version_publish(version=version)
        sets.append(cos)
    return sets
