"""The set list's search index: per set, what the `q` and `domain` filters look at (docs/performance.md).

Derived data, maintained by `outcomes.services.search` wherever a set's title or a version's public status
changes (public content itself is immutable). Rebuild it with `manage.py search_index_rebuild`.
"""

from __future__ import annotations

from django.db import models

from .sets import CoreOutcomeSet, OutcomeDomain


class SetSearchIndex(models.Model):
    core_outcome_set = models.OneToOneField(
        CoreOutcomeSet, on_delete=models.CASCADE, primary_key=True, related_name="search_index"
    )
    # The title, then the distinct outcome names of every public version, one per line, case-folded (str.casefold):
    # a search word holds no whitespace, so it can never match across two names.
    text = models.TextField(blank=True)
    # The COMET domains of the outcomes of every public version.
    domains = models.ManyToManyField(OutcomeDomain, through="SetSearchDomain", related_name="+", blank=True)

    class Meta:
        verbose_name = "set search index"
        verbose_name_plural = "set search index"

    def __str__(self) -> str:
        return f"search index of set {self.core_outcome_set_id}"


class SetSearchDomain(models.Model):
    index = models.ForeignKey(SetSearchIndex, on_delete=models.CASCADE, related_name="domain_links")
    # No index of its own: the unique constraint below starts with it.
    domain = models.ForeignKey(OutcomeDomain, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        constraints = [
            # Domain first: the `domain` filter looks sets up by domain (an index-only lookup).
            models.UniqueConstraint(fields=["domain", "index"], name="setsearchdomain_domain_set_unique"),
        ]

    def __str__(self) -> str:
        return f"set {self.index_id} has domain {self.domain_id}"
