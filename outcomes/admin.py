from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from outcomes.models import (
    AuditEvent,
    ConsensusProcess,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Item,
    ItemOption,
    Measurement,
    Outcome,
    OutcomeDomain,
    Panelist,
    Reference,
    Round,
    RoundItem,
    StakeholderGroup,
    Suggestion,
)


@admin.register(OutcomeDomain)
class OutcomeDomainAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "core_area"]
    list_filter = ["core_area"]
    search_fields = ["name"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    list_display = ["acronym", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["acronym", "name"]


class VersionInline(admin.TabularInline):
    model = CoreOutcomeSetVersion
    fields = ["version", "status", "published_on", "published_on_precision"]
    readonly_fields = ["status"]
    extra = 0
    show_change_link = True


@admin.register(CoreOutcomeSet)
class CoreOutcomeSetAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "disease_area", "completeness", "comet_registry_id"]
    list_filter = ["disease_area", "completeness"]
    search_fields = ["title", "slug", "developers"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["conditions"]
    inlines = [VersionInline]


class FrozenVersionMixin:
    """Inlines of a published, superseded or withdrawn version are read-only: those versions are immutable."""

    def _frozen(self, obj: CoreOutcomeSetVersion | None) -> bool:
        return obj is not None and obj.is_frozen

    def has_add_permission(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> bool:
        return not self._frozen(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class OutcomeInline(FrozenVersionMixin, admin.StackedInline):
    model = Outcome
    fields = ["order", "name", "definition", "domains", "applies_to", "note"]
    filter_horizontal = ["domains"]
    extra = 0
    show_change_link = True


class ReferenceInline(FrozenVersionMixin, admin.TabularInline):
    model = Reference
    fields = ["order", "citation", "doi", "pmid", "pmcid", "url"]
    extra = 0


@admin.register(CoreOutcomeSetVersion)
class CoreOutcomeSetVersionAdmin(admin.ModelAdmin):
    list_display = ["core_outcome_set", "version", "status", "published_on", "published_by"]
    list_filter = ["status", "core_outcome_set__disease_area"]
    search_fields = ["core_outcome_set__title", "core_outcome_set__slug", "version"]
    list_select_related = ["core_outcome_set", "published_by"]
    readonly_fields = ["status", "published_at", "published_by", "withdrawn_at", "major", "minor", "patch"]
    inlines = [OutcomeInline, ReferenceInline]

    def get_readonly_fields(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> list[str]:
        if obj is not None and obj.is_frozen:
            return [f.name for f in obj._meta.fields]
        return list(self.readonly_fields)

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)


class MeasurementInline(admin.TabularInline):
    model = Measurement
    fields = ["order", "instrument", "timing", "note"]
    autocomplete_fields = ["instrument"]
    extra = 0


@admin.register(Outcome)
class OutcomeAdmin(admin.ModelAdmin):
    list_display = ["name", "version", "order"]
    list_filter = ["version__core_outcome_set__disease_area", "domains__core_area"]
    search_fields = ["name", "definition", "version__core_outcome_set__title"]
    list_select_related = ["version__core_outcome_set"]
    filter_horizontal = ["domains"]
    readonly_fields = ["identity", "evidence"]
    inlines = [MeasurementInline]


class GroupInline(admin.TabularInline):
    model = StakeholderGroup
    extra = 0


class RoundInline(admin.TabularInline):
    model = Round
    fields = ["number", "kind", "status", "opens_at", "closes_at"]
    extra = 0
    show_change_link = True


@admin.register(ConsensusProcess)
class ConsensusProcessAdmin(admin.ModelAdmin):
    list_display = ["title", "core_outcome_set", "status", "is_demo", "created_at"]
    list_filter = ["status", "is_demo"]
    search_fields = ["title", "core_outcome_set__title"]
    filter_horizontal = ["facilitators"]
    inlines = [GroupInline, RoundInline]


@admin.register(Panelist)
class PanelistAdmin(admin.ModelAdmin):
    list_display = ["code", "process", "group", "consented_at"]
    list_filter = ["process", "group"]
    search_fields = ["code", "email", "name"]
    exclude = ["token_hash"]


class OptionInline(admin.TabularInline):
    model = ItemOption
    extra = 0


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "process", "source"]
    list_filter = ["kind", "source", "process"]
    search_fields = ["name", "definition"]
    filter_horizontal = ["domains"]
    inlines = [OptionInline]


class RoundItemInline(admin.TabularInline):
    model = RoundItem
    fields = ["item", "order"]
    raw_id_fields = ["item"]
    extra = 0


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ["process", "number", "kind", "status", "closes_at"]
    list_filter = ["status", "kind"]
    inlines = [RoundItemInline]


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ["name", "round", "status"]
    list_filter = ["status"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only."""

    # actor_label, not actor: the user may have been deleted since (the log keeps their id and name).
    list_display = ["created_at", "action", "object_type", "object_id", "actor_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "action"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
