"""The search index (outcomes.search): per set, one row with its searchable text, weighted by field, and what the
`disease_area` and `domain` filters look at (docs/performance.md), so that a search is evaluated on one row per set.

Derived data, maintained by `outcomes.services.search` wherever a set's own fields, or a version's public status,
change (public content itself is immutable). Rebuild it with `manage.py search_index_rebuild`.

Besides the table, the full-text index proper: on PostgreSQL the `document` column (a weighted tsvector, GIN
indexed); on SQLite an FTS5 table (`outcomes_setsearchfts`) that triggers keep equal to this table's term columns
(both created by migrations 0011 and 0012 for their database only).
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from .sets import CoreOutcomeSet


class SetSearchIndex(models.Model):
    core_outcome_set = models.OneToOneField(
        CoreOutcomeSet, on_delete=models.CASCADE, primary_key=True, related_name="search_index"
    )
    # The set's own disease area, copied here so that the list's filters need no other table.
    disease_area = models.ForeignKey("diseases.DiseaseArea", on_delete=models.CASCADE, related_name="+")
    # The COMET domains of the outcomes of the current version: bit (number - 1) for domain `number` (1-38).
    domain_bits = models.BigIntegerField(default=0)
    # The searchable terms (outcomes.search.text.index_terms, space-separated), one column per weight: the title;
    # conditions, disease area and codes; outcome names; everything else (definitions, domains, instruments, scope,
    # developers).
    title = models.TextField(blank=True, default="")
    conditions = models.TextField(blank=True, default="")
    outcomes = models.TextField(blank=True, default="")
    other = models.TextField(blank=True, default="")
    # The texts the terms come from, as [field, text, outcome name or ""]: why a set matched, without reading it.
    sources = models.JSONField(default=list, blank=True)
    # PostgreSQL only: the four term columns as one weighted tsvector (A to D), GIN-indexed. Unused on SQLite.
    document = SearchVectorField(null=True, blank=True, editable=False)
    # PostgreSQL only, GIN-indexed, unweighted: the terms of the title and conditions (`head_document`), and of the
    # title, conditions and outcome names (`names_document`). The engine takes its ranking candidates from these
    # first (outcomes/search/engine.py), so that a title or condition match is found among any number of sets that
    # match by a definition. SQLite's FTS5 restricts a match to those columns instead.
    head_document = SearchVectorField(null=True, blank=True, editable=False)
    names_document = SearchVectorField(null=True, blank=True, editable=False)

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


class SearchWord(models.Model):
    """The index's vocabulary: every word (outcomes.search.text.words) of the index, with its stem. A query word
    whose stem is not here is corrected to the most similar word (pg_trgm on PostgreSQL, difflib on SQLite)."""

    word = models.CharField(max_length=100, unique=True)
    stem = models.CharField(max_length=100, db_index=True)

    class Meta:
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word


class SearchSynonym(models.Model):
    """An abbreviation or synonym that curators keep: a query holding `term` also finds each of `expansions`."""

    term = models.CharField(
        max_length=100, unique=True, help_text="An abbreviation or word as users type it, e.g. HF (case ignored)."
    )
    expansions = models.TextField(
        help_text="What the term also finds: plain English phrases, one per line, e.g. heart failure."
    )
    note = models.CharField(max_length=300, blank=True, help_text="What the term stands for, or where it comes from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["term"]
        constraints = [
            models.CheckConstraint(condition=~Q(term=""), name="searchsynonym_term_not_empty"),
            models.CheckConstraint(condition=~Q(expansions=""), name="searchsynonym_expansions_not_empty"),
        ]

    def __str__(self) -> str:
        return self.term

    def clean(self) -> None:
        from outcomes.search.text import words

        errors = {}
        if self.term and not words(self.term):
            errors["term"] = "Only common words (of, the, and, ...): search ignores it."
        if self.expansions and not any(words(line) for line in self.expansion_list):
            errors["expansions"] = "No expansion has a word search can use."
        if errors:
            raise ValidationError(errors)

    @property
    def expansion_list(self) -> list[str]:
        return [line.strip() for line in self.expansions.splitlines() if line.strip()]
