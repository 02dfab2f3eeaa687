"""Translations of what a panelist or a reader sees, one row per text, field and language.

English is the reference language: the models hold the English wording, and a translation row holds the same text
in another language. Rows of their own (not a column per language) keep the models unchanged when a language is
added, and keep a published version's rows untouched when a translation of it is added: the immutability triggers
guard the version's tables, not this one. docs/consensus.md, "Languages", explains the workflow.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

# The fields a translation may hold, per kind of row it translates.
TRANSLATABLE_FIELDS = {
    "process": ("title", "description", "consent_text"),
    "group": ("name",),
    "item": ("name", "definition"),
    "option": ("label", "definition"),
    "outcome": ("name", "definition"),
}
TARGETS = tuple(TRANSLATABLE_FIELDS)


class ContentTranslation(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        REVIEWED = "reviewed", "Reviewed"

    # Exactly one target is set (translation_target_is_one_row); deleting the row deletes its translations.
    process = models.ForeignKey(
        "outcomes.ConsensusProcess", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    group = models.ForeignKey(
        "outcomes.StakeholderGroup", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    item = models.ForeignKey(
        "outcomes.Item", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    option = models.ForeignKey(
        "outcomes.ItemOption", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    outcome = models.ForeignKey(
        "outcomes.Outcome", null=True, blank=True, on_delete=models.CASCADE, related_name="translations"
    )
    field = models.CharField(max_length=32)
    language = models.CharField(max_length=8)
    text = models.TextField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Who reviewed it, in words, when no account did (the demo's translations: "demo facilitator, demo data").
    review_note = models.CharField(max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language", "field", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(process__isnull=False, group__isnull=True, item__isnull=True, option__isnull=True)
                    & Q(outcome__isnull=True)
                )
                | Q(process__isnull=True, group__isnull=False, item__isnull=True, option__isnull=True)
                & Q(outcome__isnull=True)
                | Q(process__isnull=True, group__isnull=True, item__isnull=False, option__isnull=True)
                & Q(outcome__isnull=True)
                | Q(process__isnull=True, group__isnull=True, item__isnull=True, option__isnull=False)
                & Q(outcome__isnull=True)
                | Q(process__isnull=True, group__isnull=True, item__isnull=True, option__isnull=True)
                & Q(outcome__isnull=False),
                name="translation_target_is_one_row",
            ),
            models.CheckConstraint(condition=~Q(text=""), name="translation_text_not_empty"),
            models.CheckConstraint(condition=~Q(language="en"), name="translation_not_into_reference_language"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(reviewed_at__isnull=False), name="translation_reviewed_has_date"
            ),
            *(
                models.UniqueConstraint(
                    fields=[target, "field", "language"],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"translation_once_per_{target}_field_language",
                )
                for target in TARGETS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.target_kind} {self.target_id} {self.field} [{self.language}]"

    @property
    def target_kind(self) -> str:
        return next(t for t in TARGETS if getattr(self, f"{t}_id") is not None)

    @property
    def target_id(self) -> int:
        return getattr(self, f"{self.target_kind}_id")

    @property
    def is_reviewed(self) -> bool:
        return self.status == self.Status.REVIEWED
