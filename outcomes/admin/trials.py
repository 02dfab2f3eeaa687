"""The admin of trial checks and adoptions (docs/trials.md)."""

from __future__ import annotations

from django.contrib import admin

from outcomes.admin import ReadOnlyAdmin
from outcomes.models import (
    TrialAdoption,
    TrialCheck,
)


@admin.register(TrialCheck)
class TrialCheckAdmin(ReadOnlyAdmin):
    """Stored results of trial checks (docs/trials.md): never edited, a shared address must keep its result."""

    list_display = ["id", "version", "source", "registry_id", "meets_kirkham", "created_at"]
    list_filter = ["meets_kirkham", "source"]
    list_select_related = ["version__core_outcome_set"]


@admin.register(TrialAdoption)
class TrialAdoptionAdmin(ReadOnlyAdmin):
    """Declared adoptions: curators decide them on the site (/trials/adoptions/), where each decision is audited."""

    list_display = ["registry_id", "version", "status", "declared_by", "declared_at", "decided_by", "decided_at"]
    list_filter = ["status", "registry"]
    search_fields = ["registry_id", "trial_title"]
    list_select_related = ["version__core_outcome_set", "declared_by", "decided_by"]
