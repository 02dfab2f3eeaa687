"""The data network: data partners' OMOP CDM databases (data sources) and the aggregate feasibility reports they
upload for a set version (docs/network.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class DataSource(models.Model):
    """An OMOP CDM database of a data partner, registered by a curator. It uploads reports with its token, of which
    only the SHA-256 is stored (shown once when issued or rotated)."""

    name = models.CharField(max_length=200)
    country = models.CharField(max_length=100)
    cdm_version = models.CharField("CDM version", max_length=20, default="v5.4")
    contact = models.CharField(max_length=300, help_text="Who to ask about this data source: a name and an email.")
    description = models.TextField(blank=True)
    # A synthetic data source of the demo (load_demo_data): labelled "demo" wherever it is shown.
    is_demo = models.BooleanField(default=False)
    token_hash = models.CharField(max_length=64, blank=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="datasource_name_unique"),
            models.UniqueConstraint(
                fields=["token_hash"], condition=~Q(token_hash=""), name="datasource_token_hash_unique"
            ),
            models.CheckConstraint(condition=~Q(name=""), name="datasource_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (demo)" if self.is_demo else self.name


class FeasibilityReport(models.Model):
    """The latest report of one data source for one set version: aggregate counts only, small cells suppressed
    (the document as uploaded, validated by outcomes.services.network). A new upload replaces it; the audit log
    keeps every upload."""

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="reports")
    version = models.ForeignKey(
        "outcomes.CoreOutcomeSetVersion", on_delete=models.PROTECT, related_name="feasibility_reports"
    )
    document = models.JSONField()
    generated_at = models.DateTimeField(help_text="When the runner wrote the report at the data partner.")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["version", "data_source__name"]
        constraints = [
            models.UniqueConstraint(fields=["data_source", "version"], name="feasibilityreport_one_per_source_version"),
        ]

    def __str__(self) -> str:
        return f"{self.data_source} on {self.version}"
