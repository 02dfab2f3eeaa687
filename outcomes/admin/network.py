"""The admin of the data network: data sources, their reports, outcome concept sets and the OMOP vocabulary
(docs/network.md)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from outcomes.admin import ImmutabilityMessageMixin, ReadOnlyAdmin
from outcomes.models import (
    ConceptSetItem,
    ConceptSetRevision,
    DataSource,
    FeasibilityReport,
    OmopConcept,
    OmopConceptAncestor,
    OmopConceptRelationship,
    OmopVocabulary,
)
from outcomes.permissions import is_curator
from outcomes.services.audit import audit_record
from outcomes.services.mapping import mapping_review


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    """Data sources of the network (docs/network.md). A new one gets its upload token from the service, shown once in
    a message; the action rotates tokens the same way. The token itself is never stored, only its hash."""

    list_display = ["name", "country", "cdm_version", "is_demo", "token_issued_at", "created_at"]
    search_fields = ["name", "country", "contact"]
    fields = ["name", "country", "cdm_version", "contact", "description", "is_demo", "token_issued_at"]
    readonly_fields = ["token_issued_at"]
    actions = ["rotate_tokens"]

    def save_model(self, request: HttpRequest, obj: DataSource, form, change: bool) -> None:
        from outcomes.services.network import data_source_create

        if change:
            super().save_model(request, obj, form, change)
            return
        created, token = data_source_create(
            name=obj.name,
            country=obj.country,
            contact=obj.contact,
            cdm_version=obj.cdm_version,
            description=obj.description,
            is_demo=obj.is_demo,
            by=request.user,
        )
        obj.pk = created.pk
        obj.refresh_from_db()
        messages.warning(request, f"Upload token of {created.name} (shown only now): {token}")

    @admin.action(description="Rotate the upload token (the old one stops working)")
    def rotate_tokens(self, request: HttpRequest, queryset: QuerySet[DataSource]) -> None:
        from outcomes.services.network import data_source_token_rotate

        for source in queryset:
            token = data_source_token_rotate(data_source=source, by=request.user)
            messages.warning(request, f"New upload token of {source.name} (shown only now): {token}")


@admin.register(FeasibilityReport)
class FeasibilityReportAdmin(ReadOnlyAdmin):
    list_display = ["data_source", "version", "generated_at", "received_at"]
    list_select_related = ["data_source", "version__core_outcome_set"]
    readonly_fields = ["data_source", "version", "document", "generated_at", "received_at"]


# ---------------------------------------------------------------------------------------------- concept sets


class ReviewedRevisionMixin:
    """Read-only once the revision is reviewed (the database refuses changes too: outcomes/mapping_triggers.py)."""

    def _reviewed(self, obj: models.Model | None) -> bool:
        revision = obj if isinstance(obj, ConceptSetRevision) else getattr(obj, "revision", None)
        return revision is not None and revision.is_reviewed

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return is_curator(request.user) and not self._reviewed(obj)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return is_curator(request.user) and not self._reviewed(obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return is_curator(request.user) and not self._reviewed(obj)


class ConceptSetItemInline(ReviewedRevisionMixin, admin.TabularInline):
    model = ConceptSetItem
    extra = 0
    fields = [
        "order",
        "vocabulary",
        "code",
        "name",
        "domain",
        "concept_id",
        "include_descendants",
        "include_mapped",
        "is_excluded",
    ]


@admin.register(ConceptSetRevision)
class ConceptSetRevisionAdmin(ReviewedRevisionMixin, ImmutabilityMessageMixin, admin.ModelAdmin):
    """A proposed revision can be edited here (its items are checked like on the mapping page) and reviewed with
    the action; new revisions are proposed on the mapping page or through the API, which number them."""

    list_display = ["outcome_identity", "core_outcome_set", "number", "status", "proposed_at", "reviewed_at"]
    list_filter = ["status", "core_outcome_set"]
    list_select_related = ["core_outcome_set"]
    search_fields = ["outcome_identity", "items__code", "items__name"]
    inlines = [ConceptSetItemInline]
    fields = [
        "outcome_identity",
        "core_outcome_set",
        "number",
        "status",
        "counts_all_deaths",
        "window_start_day",
        "window_end_day",
        "note",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = [
        "outcome_identity",
        "core_outcome_set",
        "number",
        "status",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
    ]
    actions = ["review_revisions"]

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        revision = form.instance
        audit_record(
            action="conceptset.admin_edit",
            obj=revision,
            actor=request.user,
            core_outcome_set=revision.core_outcome_set,
            after={
                "number": revision.number,
                "items": [f"{i.vocabulary} {i.code}" for i in revision.items.all()],
            },
        )

    @admin.action(description="Review the selected proposed revisions")
    def review_revisions(self, request: HttpRequest, queryset: QuerySet) -> None:
        reviewed = 0
        for revision in queryset.filter(status=ConceptSetRevision.Status.PROPOSED):
            try:
                mapping_review(revision=revision, by=request.user)
            except ValidationError as exc:
                self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)
            else:
                reviewed += 1
        self.message_user(request, f"{reviewed} revision(s) reviewed.")


@admin.register(OmopVocabulary)
class OmopVocabularyAdmin(ReadOnlyAdmin):
    """Loaded with manage.py load_omop_vocabulary, never edited by hand."""

    list_display = ["vocabulary_id", "vocabulary_name", "vocabulary_version", "loaded_at"]


@admin.register(OmopConcept)
class OmopConceptAdmin(ReadOnlyAdmin):
    list_display = ["concept_id", "concept_name", "vocabulary_id", "concept_code", "domain_id", "standard_concept"]
    list_filter = ["vocabulary_id", "domain_id", "standard_concept"]
    search_fields = ["=concept_id", "=concept_code", "concept_name"]
    show_full_result_count = False


@admin.register(OmopConceptRelationship)
class OmopConceptRelationshipAdmin(ReadOnlyAdmin):
    list_display = ["concept_id_1", "relationship_id", "concept_id_2", "invalid_reason"]
    search_fields = ["=concept_id_1", "=concept_id_2"]
    show_full_result_count = False


@admin.register(OmopConceptAncestor)
class OmopConceptAncestorAdmin(ReadOnlyAdmin):
    list_display = ["ancestor_concept_id", "descendant_concept_id", "min_levels_of_separation"]
    search_fields = ["=ancestor_concept_id", "=descendant_concept_id"]
    show_full_result_count = False
