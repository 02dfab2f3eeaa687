"""Reads behind the public website: sets with their current version, search, cross-set views and compare.

Every function issues a fixed number of queries whatever the number of sets: lists are fetched in one query
and the current versions with their outcomes, domains and instruments in a few prefetch queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import ExtractYear

from diseases.models import Condition, DiseaseArea
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Instrument, Outcome, OutcomeDomain
from outcomes.selectors import PUBLIC_STATUSES, Status, outcome_queryset


def _current_version_subquery() -> QuerySet[CoreOutcomeSetVersion]:
    """A set's current version: the published one, else its latest public (superseded or withdrawn) one."""
    return (
        CoreOutcomeSetVersion.objects.filter(core_outcome_set=OuterRef("pk"), status__in=PUBLIC_STATUSES)
        .annotate(
            published_first=Case(
                When(status=Status.PUBLISHED, then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("published_first", "-major", "-minor", "-patch")
    )


def public_set_queryset() -> QuerySet[CoreOutcomeSet]:
    """Sets that have a public version, annotated with their current version's id, status and year."""
    current = _current_version_subquery()
    return (
        CoreOutcomeSet.objects.select_related("disease_area")
        .prefetch_related("conditions")
        .annotate(
            current_pk=Subquery(current.values("pk")[:1]),
            current_status=Subquery(current.values("status")[:1]),
            current_year=Subquery(current.annotate(year=ExtractYear("published_on")).values("year")[:1]),
        )
        .filter(current_pk__isnull=False)
        .order_by("title")
    )


def with_current_versions(
    sets: QuerySet[CoreOutcomeSet] | list[CoreOutcomeSet], *, outcomes: bool = True
) -> list[CoreOutcomeSet]:
    """Evaluate `sets` (from public_set_queryset) and attach `cos.current`, with its outcomes if asked.

    Each set also gets `current_outcome_count`.
    """
    sets = list(sets)
    ids = [cos.current_pk for cos in sets]
    versions = CoreOutcomeSetVersion.objects.filter(pk__in=ids).annotate(outcome_count=Count("outcomes"))
    if outcomes:
        versions = versions.prefetch_related(Prefetch("outcomes", queryset=outcome_queryset()))
    by_pk = {version.pk: version for version in versions} if ids else {}
    for cos in sets:
        cos.current = by_pk.get(cos.current_pk)
        cos.current_outcome_count = cos.current.outcome_count if cos.current else 0
    return sets


def _current_outcomes(**filters) -> Exists:
    return Exists(Outcome.objects.filter(version_id=OuterRef("current_pk"), **filters))


def recently_published_versions(*, limit: int = 6) -> QuerySet[CoreOutcomeSetVersion]:
    return (
        CoreOutcomeSetVersion.objects.filter(status=Status.PUBLISHED)
        .select_related("core_outcome_set__disease_area")
        .order_by("-published_on", "-published_at", "-pk")[:limit]
    )


def disease_area_sets(area: DiseaseArea) -> list[CoreOutcomeSet]:
    return with_current_versions(public_set_queryset().filter(disease_area=area), outcomes=False)


def condition_sets(condition: Condition) -> list[CoreOutcomeSet]:
    """Sets of a condition or of one of its narrower conditions."""
    return with_current_versions(
        public_set_queryset().filter(Q(conditions=condition) | Q(conditions__parent=condition)).distinct(),
        outcomes=False,
    )


# ---------------------------------------------------------------------------------------------- search


@dataclass
class SearchResult:
    cos: CoreOutcomeSet
    reasons: list[str]

    @property
    def version(self) -> CoreOutcomeSetVersion | None:
        return self.cos.current


@dataclass
class Facets:
    areas: Counter = field(default_factory=Counter)
    conditions: Counter = field(default_factory=Counter)
    domains: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    years: Counter = field(default_factory=Counter)


def _terms(q: str) -> list[str]:
    return [term for term in q.split() if term][:8]


def _match_reasons(cos: CoreOutcomeSet, terms: list[str]) -> list[str]:
    """Why a set matched: its title, an outcome's name or an outcome's definition, in that order."""
    if not terms:
        return []
    lowered = [term.lower() for term in terms]

    def hit(text: str) -> bool:
        text = text.lower()
        return any(term in text for term in lowered)

    reasons = []
    if hit(cos.title):
        reasons.append("title")
    outcomes = cos.current.outcomes.all() if cos.current else []
    reasons += [f"outcome: {outcome.name}" for outcome in outcomes if hit(outcome.name)]
    reasons += [
        f"definition of {outcome.name}" for outcome in outcomes if not hit(outcome.name) and hit(outcome.definition)
    ]
    reasons += [f"condition: {c.name}" for c in cos.conditions.all() if hit(c.name)]
    return reasons


def set_search(
    *,
    q: str = "",
    area: str | None = None,
    condition: str | None = None,
    domain: int | None = None,
    status: str | None = None,
    year: int | None = None,
) -> tuple[list[SearchResult], Facets]:
    """Public sets whose current version matches every search term and every facet, with the reasons.

    A term matches a set's title, one of its conditions, or the name or definition of an outcome of its current
    version (case-insensitive substring, so the same on SQLite and PostgreSQL).
    """
    qs = public_set_queryset()
    if area:
        qs = qs.filter(disease_area__slug=area)
    if condition:
        qs = qs.filter(
            Exists(
                CoreOutcomeSet.conditions.through.objects.filter(
                    coreoutcomeset_id=OuterRef("pk"), condition__slug=condition
                )
            )
        )
    if domain:
        qs = qs.filter(_current_outcomes(domains__number=domain))
    if status:
        qs = qs.filter(current_status=status)
    if year:
        qs = qs.filter(current_year=year)
    terms = _terms(q)
    for term in terms:
        qs = qs.filter(
            Q(title__icontains=term)
            | _current_outcomes(name__icontains=term)
            | _current_outcomes(definition__icontains=term)
            | Exists(
                CoreOutcomeSet.conditions.through.objects.filter(
                    coreoutcomeset_id=OuterRef("pk"), condition__name__icontains=term
                )
            )
        )
    results = [SearchResult(cos, _match_reasons(cos, terms)) for cos in with_current_versions(qs)]
    if terms:
        # Sets whose title matches come first; otherwise alphabetical, as browsing is.
        results.sort(key=lambda result: result.reasons[:1] != ["title"])
    facets = Facets()
    for result in results:
        cos = result.cos
        facets.areas[cos.disease_area.slug] += 1
        facets.conditions.update({c.slug for c in cos.conditions.all()})
        if cos.current:
            facets.domains.update({d.number for o in cos.current.outcomes.all() for d in o.domains.all()})
            facets.statuses[cos.current.status] += 1
            if cos.current.published_on:
                facets.years[cos.current.published_on.year] += 1
    return results, facets


def publication_years() -> list[int]:
    years = (
        CoreOutcomeSetVersion.objects.filter(status__in=PUBLIC_STATUSES, published_on__isnull=False)
        .annotate(year=ExtractYear("published_on"))
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(years), reverse=True)


# ---------------------------------------------------------------------------------------------- cross-set views


@dataclass
class SetOutcomes:
    """One set and those outcomes of its current version that fall under a domain or use an instrument."""

    cos: CoreOutcomeSet
    outcomes: list[Outcome]


def domain_sets(domain: OutcomeDomain) -> list[SetOutcomes]:
    sets = with_current_versions(
        public_set_queryset().filter(_current_outcomes(domains=domain)).order_by("disease_area__name", "title")
    )
    return [
        SetOutcomes(cos, [o for o in cos.current.outcomes.all() if any(d.pk == domain.pk for d in o.domains.all())])
        for cos in sets
    ]


def instrument_sets(instrument: Instrument) -> list[SetOutcomes]:
    sets = with_current_versions(
        public_set_queryset()
        .filter(_current_outcomes(measurements__instrument=instrument))
        .order_by("disease_area__name", "title")
    )
    return [
        SetOutcomes(
            cos,
            [
                o
                for o in cos.current.outcomes.all()
                if any(m.instrument_id == instrument.pk for m in o.measurements.all())
            ],
        )
        for cos in sets
    ]


@dataclass
class DomainUse:
    domain: OutcomeDomain
    set_count: int


def domain_index() -> list[DomainUse]:
    """The 38 COMET domains in taxonomy order, each with how many public sets have outcomes in it."""
    counts: Counter = Counter()
    for cos in with_current_versions(public_set_queryset()):
        counts.update({d.pk for o in cos.current.outcomes.all() for d in o.domains.all()})
    return [DomainUse(domain, counts[domain.pk]) for domain in OutcomeDomain.objects.order_by("number")]


@dataclass
class InstrumentUse:
    instrument: Instrument
    set_count: int


def instrument_index() -> list[InstrumentUse]:
    counts: Counter = Counter()
    for cos in with_current_versions(public_set_queryset()):
        counts.update({m.instrument_id for o in cos.current.outcomes.all() for m in o.measurements.all()})
    return [InstrumentUse(instrument, counts[instrument.pk]) for instrument in Instrument.objects.order_by("acronym")]


# ---------------------------------------------------------------------------------------------- compare


@dataclass
class CompareRow:
    domain: OutcomeDomain
    a: list[Outcome]
    b: list[Outcome]

    @property
    def kind(self) -> str:
        if self.a and self.b:
            return "shared"
        return "only-a" if self.a else "only-b"


@dataclass
class Comparison:
    a: CoreOutcomeSet
    b: CoreOutcomeSet
    rows: list[CompareRow]
    # Outcome names (case-insensitive) that appear in both sets, whatever their domains.
    same_names: set[str]

    def count(self, kind: str) -> int:
        return sum(1 for row in self.rows if row.kind == kind)

    @property
    def shared_count(self) -> int:
        return self.count("shared")

    @property
    def only_a_count(self) -> int:
        return self.count("only-a")

    @property
    def only_b_count(self) -> int:
        return self.count("only-b")


def set_compare(*, a: CoreOutcomeSet, b: CoreOutcomeSet) -> Comparison:
    """Match two sets' current outcomes by COMET domain, in taxonomy order."""
    sets = {cos.pk: cos for cos in with_current_versions(public_set_queryset().filter(pk__in=[a.pk, b.pk]))}
    a, b = sets[a.pk], sets[b.pk]
    by_domain: dict[int, CompareRow] = {}
    for side, cos in (("a", a), ("b", b)):
        for outcome in cos.current.outcomes.all():
            for domain in outcome.domains.all():
                row = by_domain.setdefault(domain.number, CompareRow(domain, [], []))
                getattr(row, side).append(outcome)
    names_a = {o.name.lower() for o in a.current.outcomes.all()}
    names_b = {o.name.lower() for o in b.current.outcomes.all()}
    return Comparison(a, b, [by_domain[n] for n in sorted(by_domain)], names_a & names_b)
