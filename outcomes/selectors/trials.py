"""Reads for trials: checks, adoptions, and a set's uptake (docs/trials.md). Each is a bounded number of queries
whatever the number of rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, TruncMonth

from outcomes.models import CoreOutcomeSet, TrialAdoption, TrialCheck
from outcomes.selectors.registry import PUBLIC_STATUSES, version_queryset

Verified = TrialAdoption.Status.VERIFIED


def trial_check_queryset() -> QuerySet[TrialCheck]:
    """A check with its version as the result page, its exports and the FHIR ResearchStudy show it."""
    from django.db.models import Prefetch

    return TrialCheck.objects.prefetch_related(Prefetch("version", queryset=version_queryset()))


def adoption_queryset() -> QuerySet[TrialAdoption]:
    return TrialAdoption.objects.select_related(
        "version__core_outcome_set", "declared_by", "decided_by", "check_result"
    ).order_by("-declared_at", "-id")


def adoptions_verified(cos: CoreOutcomeSet | None = None) -> QuerySet[TrialAdoption]:
    qs = adoption_queryset().filter(status=Verified).order_by("-decided_at", "-id")
    return qs.filter(version__core_outcome_set=cos) if cos is not None else qs


def adoptions_pending() -> QuerySet[TrialAdoption]:
    return adoption_queryset().filter(status=TrialAdoption.Status.PENDING).order_by("declared_at", "id")


def verified_adoption_count(cos: CoreOutcomeSet) -> int:
    """Trials using the set: a trial verified for two of its versions counts once."""
    adoptions = TrialAdoption.objects.filter(version__core_outcome_set=cos, status=Verified)
    return adoptions.values("registry_id").distinct().count()


@dataclass
class UptakeMonth:
    month: str  # YYYY-MM
    verified: int  # adoptions verified that month
    cumulative: int  # verified up to the end of the month
    checks: int  # trials checked against the set that month
    meeting_rule: int  # of which met the Kirkham rule

    @property
    def share(self) -> float | None:
        return self.meeting_rule / self.checks if self.checks else None


def set_uptake(cos: CoreOutcomeSet) -> list[UptakeMonth]:
    """Per month: verified adoptions (and their running total) and the checks that met the Kirkham rule. Two
    grouped queries."""
    adoptions = (
        TrialAdoption.objects.filter(version__core_outcome_set=cos, status=Verified)
        .annotate(month=TruncMonth("decided_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    )
    checks = (
        TrialCheck.objects.filter(version__core_outcome_set=cos)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(n=Count("id"), met=Count("id", filter=Q(meets_kirkham=True)))
        .order_by()
    )
    rows: dict[str, dict] = defaultdict(lambda: {"verified": 0, "checks": 0, "met": 0})
    for row in adoptions:
        rows[row["month"].strftime("%Y-%m")]["verified"] += row["n"]
    for row in checks:
        key = row["month"].strftime("%Y-%m")
        rows[key]["checks"] += row["n"]
        rows[key]["met"] += row["met"]
    months, total = [], 0
    for month in sorted(rows):
        total += rows[month]["verified"]
        months.append(UptakeMonth(month, rows[month]["verified"], total, rows[month]["checks"], rows[month]["met"]))
    return months


def _count(qs: QuerySet) -> Coalesce:
    return Coalesce(Subquery(qs.order_by().values("n")[:1], output_field=IntegerField()), Value(0))


def sets_by_uptake() -> QuerySet[CoreOutcomeSet]:
    """Every set with a public version, with its verified adoptions, checks and checks meeting the Kirkham rule;
    most adopted first. One query."""
    adoptions = (
        TrialAdoption.objects.filter(version__core_outcome_set=OuterRef("pk"), status=Verified)
        .values("version__core_outcome_set")
        .annotate(n=Count("id"))
    )
    checks = (
        TrialCheck.objects.filter(version__core_outcome_set=OuterRef("pk"))
        .values("version__core_outcome_set")
        .annotate(n=Count("id"))
    )
    met = (
        TrialCheck.objects.filter(version__core_outcome_set=OuterRef("pk"), meets_kirkham=True)
        .values("version__core_outcome_set")
        .annotate(n=Count("id"))
    )
    return (
        CoreOutcomeSet.objects.filter(versions__status__in=PUBLIC_STATUSES)
        .distinct()
        .select_related("disease_area")
        .annotate(adoption_count=_count(adoptions), check_count=_count(checks), meeting_rule_count=_count(met))
        .order_by("-adoption_count", "-meeting_rule_count", "title")
    )
