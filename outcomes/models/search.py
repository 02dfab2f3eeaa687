"""The set list's search index: per set, one row with what the `disease_area`, `domain` and `q` filters look at
(docs/performance.md), so that all three are evaluated on one row by one scan.

Derived data, maintained by `outcomes.services.search` wherever a set's title or disease area, or a version's public
status, changes (public content itself is immutable). Rebuild it with `manage.py search_index_rebuild`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .sets import CoreOutcomeSet


class SetSearchIndex(models.Model):
    core_outcome_set = models.OneToOneField(
        CoreOutcomeSet, on_delete=models.CASCADE, primary_key=True, related_name="search_index"
    )
    # The set's own disease area, copied here so that the list's filters need no other table.
    disease_area = models.ForeignKey("diseases.DiseaseArea", on_delete=models.CASCADE, related_name="+")
    # The COMET domains of the outcomes of every public version: bit (number - 1) for domain `number` (1-38).
    domain_bits = models.BigIntegerField(default=0)
    # The title, then the distinct outcome names of every public version, one per line, case-folded (str.casefold):
    # a search word holds no whitespace, so it can never match across two names.
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = "set search index"
        verbose_name_plural = "set search index"
        constraints = [
            models.CheckConstraint(
                condition=Q(domain_bits__gte=0, domain_bits__lt=2**38), name="setsearchindex_domain_bits_1_38"
            ),
        ]

    def __str__(self) -> str:
        return f"search index of set {self.core_outcome_set_id}"
