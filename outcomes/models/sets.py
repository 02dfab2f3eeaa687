"""Core outcome sets, their versions and what a version holds (outcomes, measurements, references)."""

from __future__ import annotations

import re
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

# Semantic Versioning 2.0.0 without pre-release or build metadata: a registry version is a release.
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
# A DOI name (ISO 26324, DOI Handbook 2.2): the directory indicator "10.", a registrant code of digits, "/", a
# suffix without white space. The same expression for Python and the database check (PostgreSQL and SQLite).
DOI_PATTERN = r"^10\.[0-9]{4,9}/\S+$"
DOI_RE = re.compile(DOI_PATTERN)


class CoreArea(models.TextChoices):
    """The five core areas of the COMET taxonomy (Dodd et al., J Clin Epidemiol 2018)."""

    DEATH = "death", "Death"
    PHYSIOLOGICAL_CLINICAL = "physiological_clinical", "Physiological/clinical"
    LIFE_IMPACT = "life_impact", "Life impact"
    RESOURCE_USE = "resource_use", "Resource use"
    ADVERSE_EVENTS = "adverse_events", "Adverse events"


class OutcomeDomain(models.Model):
    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=200)
    core_area = models.CharField(max_length=32, choices=CoreArea.choices)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(condition=Q(number__gte=1, number__lte=38), name="outcomedomain_number_1_38"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.name}"


class Instrument(models.Model):
    class Kind(models.TextChoices):
        PROM = "PROM", "Patient-reported outcome measure (PROM)"
        CLINRO = "ClinRO", "Clinician-reported outcome (ClinRO)"
        OBSRO = "ObsRO", "Observer-reported outcome (ObsRO)"
        PERFO = "PerfO", "Performance outcome (PerfO)"
        BIOMARKER = "biomarker", "Biomarker"
        OTHER = "other", "Other"

    acronym = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    url = models.URLField(blank=True)
    licence_note = models.TextField(blank=True)

    class Meta:
        ordering = ["acronym"]

    def __str__(self) -> str:
        return self.acronym


class CoreOutcomeSet(models.Model):
    class Completeness(models.TextChoices):
        FULL = "full", "Full: every outcome of the published set"
        PARTIAL = "partial", "Partial: confirmed outcomes only, the rest still to be curated"
        REGISTRY = "registry", "Registry entry only: outcome list not yet recorded"

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    disease_area = models.ForeignKey("diseases.DiseaseArea", on_delete=models.PROTECT, related_name="core_outcome_sets")
    conditions = models.ManyToManyField("diseases.Condition", related_name="core_outcome_sets", blank=True)
    scope_population = models.TextField(blank=True)
    scope_intervention = models.TextField(blank=True)
    scope_setting = models.TextField(blank=True)
    developers = models.CharField(max_length=300, blank=True)
    comet_registry_id = models.PositiveIntegerField(null=True, blank=True)
    completeness = models.CharField(max_length=16, choices=Completeness.choices, default=Completeness.FULL)
    # The development method as published (Delphi rounds, participants, ...): free-form facts for display.
    method = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "core outcome set"
        # The list's order: a page walks the sets in title order (within a disease area when filtered by one).
        indexes = [
            models.Index(fields=["title"], name="set_title_idx"),
            models.Index(fields=["disease_area", "title"], name="set_area_title_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class CoreOutcomeSetVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_CONSENSUS = "in_consensus", "In consensus"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    # A version in one of these states is immutable: its content is the record that trials cite.
    FROZEN_STATUSES = (Status.PUBLISHED, Status.SUPERSEDED, Status.WITHDRAWN)

    class DatePrecision(models.TextChoices):
        YEAR = "year", "Year"
        MONTH = "month", "Month"
        DAY = "day", "Day"

    core_outcome_set = models.ForeignKey(CoreOutcomeSet, on_delete=models.PROTECT, related_name="versions")
    version = models.CharField(max_length=32)
    # major/minor/patch mirror `version` so that versions order numerically in SQL.
    major = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    patch = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    # When the version was published in the literature; many sets are known only to the year.
    published_on = models.DateField(null=True, blank=True)
    published_on_precision = models.CharField(max_length=8, choices=DatePrecision.choices, default=DatePrecision.DAY)
    changelog = models.TextField(blank=True)
    derived_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived_versions"
    )
    # A patch that corrects a transcription error of the version it derives from (docs/versions.md, "Corrections").
    is_correction = models.BooleanField(
        "corrects a transcription error",
        default=False,
        help_text="Tick when this version only corrects wording the registry transcribed wrongly from its source "
        "(not what the panel agreed). It must be a patch of the version it derives from.",
    )
    # Provenance: who published it in this registry, and when.
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    # The version's own DOI, minted by the hosting organisation after publication (from its DataCite metadata).
    # Metadata about the record, not its content: a curator may set it on a frozen version (versions.version_doi_set,
    # audited); the immutability triggers leave it out of the frozen columns on purpose.
    doi = models.CharField("DOI", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["core_outcome_set", "-major", "-minor", "-patch"]
        verbose_name = "core outcome set version"
        constraints = [
            models.UniqueConstraint(fields=["core_outcome_set", "version"], name="version_unique_per_set"),
            models.UniqueConstraint(
                fields=["core_outcome_set", "major", "minor", "patch"], name="version_numbers_unique_per_set"
            ),
            # At most one published version per set at any time.
            models.UniqueConstraint(
                fields=["core_outcome_set"],
                condition=Q(status="published"),
                name="one_published_version_per_set",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | ~Q(withdrawn_reason=""),
                name="withdrawn_version_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(version__regex=r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$"),
                name="version_is_semver",
            ),
            models.CheckConstraint(condition=~Q(derived_from=models.F("id")), name="version_not_derived_from_itself"),
            models.CheckConstraint(
                condition=Q(doi="") | Q(doi__regex=DOI_PATTERN),
                name="version_doi_format",
                violation_error_message="A DOI looks like 10.1234/abc: '10.', a registrant code, '/', a suffix.",
            ),
            # A DOI names one thing.
            models.UniqueConstraint(fields=["doi"], condition=~Q(doi=""), name="version_doi_unique"),
            models.CheckConstraint(
                condition=Q(is_correction=False) | Q(derived_from__isnull=False),
                name="correction_has_derived_from",
                violation_error_message="A correction is derived from the version it corrects.",
            ),
        ]
        indexes = [models.Index(fields=["status", "published_on"], name="version_status_published_idx")]

    def __str__(self) -> str:
        return f"{self.core_outcome_set.slug} {self.version}"

    def save(self, *args, **kwargs) -> None:
        match = SEMVER_RE.match(self.version or "")
        if match:
            self.major, self.minor, self.patch = (int(part) for part in match.groups())
        super().save(*args, **kwargs)

    @property
    def is_frozen(self) -> bool:
        return self.status in self.FROZEN_STATUSES

    @property
    def semver(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    @property
    def published_display(self) -> str:
        if self.published_on is None:
            return ""
        if self.published_on_precision == self.DatePrecision.YEAR:
            return str(self.published_on.year)
        if self.published_on_precision == self.DatePrecision.MONTH:
            return self.published_on.strftime("%B %Y")
        return self.published_on.isoformat()


class Reference(models.Model):
    version = models.ForeignKey(CoreOutcomeSetVersion, on_delete=models.CASCADE, related_name="references")
    citation = models.TextField()
    doi = models.CharField("DOI", max_length=200, blank=True)
    pmid = models.CharField("PMID", max_length=12, blank=True)
    pmcid = models.CharField("PMCID", max_length=16, blank=True)
    url = models.URLField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pmid="") | Q(pmid__regex=r"^[0-9]{1,10}$"), name="reference_pmid_digits"
            ),
            models.CheckConstraint(
                condition=Q(pmcid="") | Q(pmcid__regex=r"^PMC[0-9]{1,10}$"), name="reference_pmcid_format"
            ),
            models.CheckConstraint(condition=Q(doi="") | Q(doi__startswith="10."), name="reference_doi_format"),
        ]

    def __str__(self) -> str:
        return self.citation

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Outcome(models.Model):
    version = models.ForeignKey(CoreOutcomeSetVersion, on_delete=models.CASCADE, related_name="outcomes")
    # The outcome's identity across versions: copied into every derived version, kept through renames,
    # so that a diff matches "the same outcome" rather than "the same name".
    identity = models.UUIDField(default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=300)
    definition = models.TextField(blank=True)
    domains = models.ManyToManyField(OutcomeDomain, related_name="outcomes")
    applies_to = models.CharField(
        max_length=200, blank=True, help_text="Limits the outcome to one intervention, e.g. 'surgery'."
    )
    note = models.TextField(blank=True, help_text="What the outcome covers.")
    order = models.PositiveIntegerField(default=0)
    # Set when the outcome was agreed through a consensus process in this registry: the item result that
    # decided it, and whether its definition and instrument were voted on too.
    evidence = models.ForeignKey(
        "outcomes.ItemResult", null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes"
    )
    definition_agreed = models.BooleanField(default=False)
    measurement_agreed = models.BooleanField(default=False)
    # The curator's signal that this outcome's definition now means something different from the version the
    # draft derives from (not just better wording): publishing then needs a new major version (docs/versions.md).
    meaning_changed = models.BooleanField(
        default=False,
        help_text="Tick when the definition changed meaning since the last version (needs a major version).",
    )

    class Meta:
        ordering = ["version", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "identity"], name="outcome_identity_unique_per_version"),
            models.UniqueConstraint(fields=["version", "name"], name="outcome_name_unique_per_version"),
            models.CheckConstraint(condition=~Q(name=""), name="outcome_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Measurement(models.Model):
    """How and when an outcome is measured: an instrument (or none named) and a timing."""

    outcome = models.ForeignKey(Outcome, on_delete=models.CASCADE, related_name="measurements")
    instrument = models.ForeignKey(
        Instrument, null=True, blank=True, on_delete=models.PROTECT, related_name="measurements"
    )
    timing = models.CharField(max_length=300, blank=True)
    note = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["outcome", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(instrument__isnull=False) | ~Q(timing=""),
                name="measurement_has_instrument_or_timing",
            ),
        ]

    def __str__(self) -> str:
        parts = [str(self.instrument) if self.instrument_id else "", self.timing]
        return " @ ".join(part for part in parts if part)
