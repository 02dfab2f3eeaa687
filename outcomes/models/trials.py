"""Trials and the sets they use: a check of a trial's outcomes against a set version, and a declared adoption.

A check is stored so that its result has a shareable address (an unguessable UUID); it holds the trial's outcomes
as given and the matcher's verdicts (outcomes.trials.matching) at the time, so a result never changes later.
An adoption is a user's declaration that a trial uses a set version; curators verify or reject it
(outcomes.services.trials). Verified adoptions are public.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .sets import CoreOutcomeSetVersion


class TrialCheck(models.Model):
    class Source(models.TextChoices):
        CTGOV = "ctgov", "ClinicalTrials.gov record"
        NCT = "nct", "Fetched by NCT number"
        LINES = "lines", "Pasted, one per line"
        CSV = "csv", "CSV file"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.ForeignKey(CoreOutcomeSetVersion, on_delete=models.PROTECT, related_name="trial_checks")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=Source.choices)
    trial_title = models.CharField(max_length=500, blank=True)
    registry_id = models.CharField(max_length=40, blank=True, help_text="The NCT number of a fetched record.")
    # [{measure, description, time_frame, kind}] as given.
    trial_outcomes = models.JSONField(default=list)
    # One per core outcome: {key, name, applies_to, verdict, score, reason, trial_outcome, explanation}.
    verdicts = models.JSONField(default=list)
    not_in_set = models.JSONField(default=list)  # indices into trial_outcomes
    meets_kirkham = models.BooleanField(default=False)
    measured_count = models.PositiveIntegerField(default=0)
    possibly_count = models.PositiveIntegerField(default=0)
    missing_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"check {self.pk} against {self.version_id}"


class TrialAdoption(models.Model):
    class Registry(models.TextChoices):
        NCT = "nct", "ClinicalTrials.gov"
        EUCT = "euct", "EU CT number (CTIS)"
        EUDRACT = "eudract", "EudraCT number"
        ISRCTN = "isrctn", "ISRCTN"

    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting verification"
        VERIFIED = "verified", "Verified"
        REJECTED = "rejected", "Rejected"

    registry = models.CharField(max_length=8, choices=Registry.choices)
    registry_id = models.CharField(max_length=40)
    trial_title = models.CharField(max_length=500, blank=True)
    version = models.ForeignKey(CoreOutcomeSetVersion, on_delete=models.PROTECT, related_name="adoptions")
    check_result = models.ForeignKey(
        TrialCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="adoptions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declared_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True, db_index=True)
    reason = models.TextField(blank=True, help_text="Why a curator rejected the declaration.")

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["registry_id", "version"], name="trialadoption_one_per_trial_and_version"),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reason=""), name="trialadoption_rejection_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="trialadoption_decision_dated"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registry_id} uses {self.version_id} ({self.status})"

    @property
    def registry_url(self) -> str:
        from outcomes.trials.inputs import REGISTRY_LINKS

        return REGISTRY_LINKS[self.registry].format(id=self.registry_id)
