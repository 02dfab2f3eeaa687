"""Concept sets that make an outcome measurable in OMOP CDM databases, with their own reviewed revisions.

A mapping belongs to the outcome's stable identity (Outcome.identity), not to one version's row: re-coding an
outcome never changes what a panel agreed, and every version of the set that carries the outcome uses it. Each
change is a new revision; a revision is proposed by one curator and reviewed by another person or the same
curator, and once reviewed it never changes (database triggers, outcomes/mapping_triggers.py). Exports use the
latest reviewed revision and name its number.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from outcomes.vocabularies import DOMAIN_CHOICES, VOCABULARY_CHOICES, code_problem


class ConceptSetRevision(models.Model):
    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        REVIEWED = "reviewed", "Reviewed"

    outcome_identity = models.UUIDField(db_index=True)
    # The set whose outcome was mapped (the identity is unique to one set's lineage): for the audit log and pages.
    core_outcome_set = models.ForeignKey(
        "outcomes.CoreOutcomeSet", on_delete=models.PROTECT, related_name="concept_set_revisions"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    # All-cause mortality: any row of the CDM death table counts, whatever its cause.
    counts_all_deaths = models.BooleanField(default=False)
    # An optional structured time window, days relative to the index date (the person's first record of the
    # population's condition).
    window_start_day = models.IntegerField(null=True, blank=True)
    window_end_day = models.IntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["outcome_identity", "-number"]
        verbose_name = "concept set revision"
        constraints = [
            models.UniqueConstraint(fields=["outcome_identity", "number"], name="conceptset_number_unique_per_outcome"),
            models.CheckConstraint(condition=Q(number__gte=1), name="conceptset_number_positive"),
            models.CheckConstraint(
                condition=Q(status="proposed", reviewed_at__isnull=True)
                | Q(status="reviewed", reviewed_at__isnull=False),
                name="conceptset_reviewed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(window_start_day__isnull=True, window_end_day__isnull=True)
                | Q(
                    window_start_day__isnull=False,
                    window_end_day__isnull=False,
                    window_end_day__gte=F("window_start_day"),
                ),
                name="conceptset_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome_identity} r{self.number} ({self.status})"

    def clean(self) -> None:
        if (self.window_start_day is None) != (self.window_end_day is None):
            raise ValidationError("Give both ends of the window, or neither.")
        if self.window_start_day is not None and self.window_start_day > self.window_end_day:
            raise ValidationError({"window_end_day": "The window ends before it starts."})

    @property
    def is_reviewed(self) -> bool:
        return self.status == self.Status.REVIEWED

    @property
    def window(self) -> dict | None:
        if self.window_start_day is None:
            return None
        return {"start_day": self.window_start_day, "end_day": self.window_end_day}


class ConceptSetItem(models.Model):
    revision = models.ForeignKey(ConceptSetRevision, on_delete=models.CASCADE, related_name="items")
    vocabulary = models.CharField(max_length=16, choices=VOCABULARY_CHOICES)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    # Set when the code resolved through a loaded OMOP vocabulary (or given by the curator); never invented.
    concept_id = models.BigIntegerField("OMOP concept id", null=True, blank=True)
    include_descendants = models.BooleanField(default=True)
    include_mapped = models.BooleanField(default=False)
    is_excluded = models.BooleanField(default=False)
    domain = models.CharField("expected OMOP domain", max_length=16, choices=DOMAIN_CHOICES)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["revision", "order", "id"]
        verbose_name = "concept set item"
        constraints = [
            models.UniqueConstraint(fields=["revision", "vocabulary", "code"], name="conceptsetitem_code_unique"),
            models.CheckConstraint(condition=~Q(code=""), name="conceptsetitem_code_not_empty"),
            models.CheckConstraint(
                condition=Q(vocabulary__in=[name for name, _ in VOCABULARY_CHOICES]),
                name="conceptsetitem_vocabulary_known",
            ),
            models.CheckConstraint(
                condition=Q(domain__in=[name for name, _ in DOMAIN_CHOICES]), name="conceptsetitem_domain_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vocabulary} {self.code} {self.name}"

    def clean(self) -> None:
        """The code's form in its vocabulary (outcomes.vocabularies): what the admin's item forms check."""
        problem = code_problem(self.vocabulary, (self.code or "").strip())
        if problem:
            raise ValidationError({"code": problem})
