from __future__ import annotations

from django.db import models
from django.db.models import Q


class DiseaseArea(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    programme_name = models.CharField(max_length=120, blank=True)
    programme_funder = models.CharField(max_length=120, blank=True)
    programme_grant = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Condition(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    disease_area = models.ForeignKey(DiseaseArea, on_delete=models.PROTECT, related_name="conditions")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # SNOMED CT concept ids are 6-18 digits (SCTID); stored as text to keep leading digits exact.
    snomed_ct_id = models.CharField("SNOMED CT id", max_length=18, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(snomed_ct_id="") | Q(snomed_ct_id__regex=r"^[0-9]{6,18}$"),
                name="condition_snomed_ct_id_digits",
            ),
            models.CheckConstraint(condition=~Q(parent=models.F("id")), name="condition_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def icd10(self) -> list[str]:
        return [code.code for code in self.icd10_codes.all()]


class Icd10Code(models.Model):
    """One ICD-10 (WHO 2019) code of a condition; a child table so that prefix search is an index scan."""

    condition = models.ForeignKey(Condition, on_delete=models.CASCADE, related_name="icd10_codes")
    code = models.CharField(max_length=8, db_index=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10 code"
        constraints = [
            models.UniqueConstraint(fields=["condition", "code"], name="icd10code_unique_per_condition"),
        ]

    def __str__(self) -> str:
        return self.code
