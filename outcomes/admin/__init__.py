from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from outcomes.immutability import immutability_error_message
from outcomes.models import (
    AuditEvent,
    ConsensusProcess,
    ContentTranslation,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Item,
    ItemOption,
    ItemResult,
    Measurement,
    OutboxMessage,
    Outcome,
    OutcomeDomain,
    Panelist,
    Participation,
    Rating,
    Reference,
    RegistryDump,
    Round,
    RoundItem,
    SearchSynonym,
    SearchWord,
    SetSearchIndex,
    StakeholderGroup,
    Suggestion,
)
from outcomes.permissions import is_curator
from outcomes.services.diff import version_diff
from outcomes.services.search import set_search_index_refresh, sets_search_index_refresh
from outcomes.services.versions import (
    version_consensus_start,
    version_draft_create,
    version_propose_number,
    version_publish,
    version_withdraw,
)
from outcomes.web.forms import PublishForm, WithdrawForm, form_add_service_errors


class ImmutabilityMessageMixin:
    """Safety net: when the database refuses a change to a frozen version, show its message instead of a 500.

    The read-only guards below normally stop such edits first; this catches whatever reaches the triggers anyway
    (a stale form, a race with a publication, an action). Each view runs in a savepoint so the refusal rolls back
    cleanly.
    """

    def _guarded(self, request: HttpRequest, view, *args, **kwargs) -> HttpResponse:
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                return view(request, *args, **kwargs)
        except IntegrityError as exc:
            message = immutability_error_message(exc)
            if message is None:
                raise
            self.message_user(request, message, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        return self._guarded(request, super().changeform_view, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        return self._guarded(request, super().changelist_view, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        return self._guarded(request, super().delete_view, object_id, extra_context)


# A URL typed without a scheme is taken as https:// (Django 6's default, adopted ahead of it).
HTTPS_URLS = {models.URLField: {"assume_scheme": "https"}}


@admin.register(OutcomeDomain)
class OutcomeDomainAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "core_area"]
    list_filter = ["core_area"]
    search_fields = ["name"]


@admin.register(Instrument)
class InstrumentAdmin(admin.ModelAdmin):
    formfield_overrides = HTTPS_URLS
    list_display = ["acronym", "name", "kind"]
    list_filter = ["kind"]
    search_fields = ["acronym", "name"]

    def save_model(self, request: HttpRequest, obj: Instrument, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # The sets measuring with it are searched by its acronym, name and kind.
        if change and {"acronym", "name", "kind"} & set(form.changed_data):
            sets = Measurement.objects.filter(instrument=obj).values_list(
                "outcome__version__core_outcome_set", flat=True
            )
            sets_search_index_refresh(set_ids=sets)


class VersionInline(admin.TabularInline):
    """Versions of a set, listed read-only: each is edited (while a draft) and published from its own page."""

    model = CoreOutcomeSetVersion
    fields = ["version", "status", "published_on", "published_on_precision"]
    readonly_fields = ["status"]
    extra = 0
    show_change_link = True
    can_delete = False

    def has_change_permission(self, request: HttpRequest, obj: CoreOutcomeSet | None = None) -> bool:
        return False


@admin.register(CoreOutcomeSet)
class CoreOutcomeSetAdmin(ImmutabilityMessageMixin, admin.ModelAdmin):
    list_display = ["title", "slug", "disease_area", "completeness", "comet_registry_id"]
    list_filter = ["disease_area", "completeness"]
    search_fields = ["title", "slug", "developers"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["conditions"]
    inlines = [VersionInline]

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: list, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The set's own fields and its conditions are searched (a new set gets its row here too); the conditions
        # are saved here, after save_model.
        set_search_index_refresh(core_outcome_set=form.instance)


class FrozenVersionMixin:
    """Read-only where the row belongs to a published, superseded or withdrawn version: those are immutable.

    `frozen_version` names the path from the admin's object to its version ("" when the object is the version).
    No add, change or delete; for a ModelAdmin (whose has_add_permission takes no object) adding stays allowed.
    """

    frozen_version = ""

    def _frozen(self, obj: models.Model | None) -> bool:
        if obj is None:
            return False
        return (getattr(obj, self.frozen_version) if self.frozen_version else obj).is_frozen

    def has_add_permission(self, request: HttpRequest, *args) -> bool:
        obj = args[0] if args else None
        return not self._frozen(obj) and super().has_add_permission(request, *args)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return not self._frozen(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return not self._frozen(obj) and super().has_delete_permission(request, obj)


class OutcomeInline(FrozenVersionMixin, admin.StackedInline):
    model = Outcome
    fields = ["order", "name", "definition", "meaning_changed", "domains", "applies_to", "note"]
    filter_horizontal = ["domains"]
    extra = 0
    show_change_link = True


class ReferenceInline(FrozenVersionMixin, admin.TabularInline):
    formfield_overrides = HTTPS_URLS
    model = Reference
    fields = ["order", "citation", "doi", "pmid", "pmcid", "url"]
    extra = 0


@admin.register(CoreOutcomeSetVersion)
class CoreOutcomeSetVersionAdmin(ImmutabilityMessageMixin, admin.ModelAdmin):
    list_display = ["core_outcome_set", "version", "status", "published_on", "published_by"]
    list_filter = ["status", "core_outcome_set__disease_area"]
    search_fields = ["core_outcome_set__title", "core_outcome_set__slug", "version"]
    list_select_related = ["core_outcome_set", "published_by"]
    readonly_fields = [
        "status",
        "derived_from",
        "published_at",
        "published_by",
        "withdrawn_at",
        "withdrawn_reason",
        "major",
        "minor",
        "patch",
    ]
    inlines = [OutcomeInline, ReferenceInline]
    actions = ["publish_version", "withdraw_version", "create_draft", "start_consensus"]

    def get_readonly_fields(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> list[str]:
        if obj is not None and obj.is_frozen:
            return [f.name for f in obj._meta.fields]
        return list(self.readonly_fields)

    def has_delete_permission(self, request: HttpRequest, obj: CoreOutcomeSetVersion | None = None) -> bool:
        # Published, superseded and withdrawn versions are the record trials cite: they are never deleted.
        return not (obj is not None and obj.is_frozen) and super().has_delete_permission(request, obj)

    def has_lifecycle_permission(self, request: HttpRequest) -> bool:
        return is_curator(request.user)

    def save_model(self, request, obj, form, change) -> None:
        try:
            super().save_model(request, obj, form, change)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)

    def _single(self, request: HttpRequest, queryset: QuerySet) -> CoreOutcomeSetVersion | None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version for this action.", level=messages.ERROR)
            return None
        return queryset.select_related("core_outcome_set").get()

    def _report(self, request: HttpRequest, exc: ValidationError) -> None:
        self.message_user(request, "; ".join(exc.messages), level=messages.ERROR)

    def _action_form(
        self, request: HttpRequest, version: CoreOutcomeSetVersion, action: str, title: str, form: forms.Form, **extra
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "version": version,
            "form": form,
            "action": action,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            **extra,
        }
        return TemplateResponse(request, "admin/outcomes/coreoutcomesetversion/lifecycle_action.html", context)

    @admin.action(description="Publish the selected draft (with an optional version number)", permissions=["lifecycle"])
    def publish_version(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        version = self._single(request, queryset)
        if version is None:
            return None
        if version.status not in (CoreOutcomeSetVersion.Status.DRAFT, CoreOutcomeSetVersion.Status.IN_CONSENSUS):
            state = version.get_status_display().lower()
            self.message_user(
                request, f"Only a draft or in-consensus version can be published, not a {state} one.", messages.ERROR
            )
            return None
        form = PublishForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                version_publish(version=version, by=request.user, number=form.cleaned_data["number"] or None)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                self.message_user(request, f"Published {version}.", level=messages.SUCCESS)
                return None
        base = version.derived_from
        return self._action_form(
            request,
            version,
            "publish_version",
            f"Publish {version}",
            form,
            proposal=version_propose_number(version=version),
            base=base,
            diff=version_diff(old=base, new=version) if base is not None else None,
        )

    @admin.action(description="Withdraw the selected published version (with a reason)", permissions=["lifecycle"])
    def withdraw_version(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        version = self._single(request, queryset)
        if version is None:
            return None
        form = WithdrawForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                version_withdraw(version=version, by=request.user, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                if "status" in exc.message_dict:
                    self._report(request, exc)
                    return None
                form_add_service_errors(form, exc)
            else:
                self.message_user(request, f"Withdrew {version}.", level=messages.SUCCESS)
                return None
        return self._action_form(request, version, "withdraw_version", f"Withdraw {version}", form)

    def _one_step(
        self, request: HttpRequest, queryset: QuerySet, change: Callable[[CoreOutcomeSetVersion], str]
    ) -> None:
        """An action without a form: run `change` on the one selected version and report its message or the
        refusal."""
        version = self._single(request, queryset)
        if version is None:
            return
        try:
            done = change(version)
        except ValidationError as exc:
            self._report(request, exc)
        else:
            self.message_user(request, done, level=messages.SUCCESS)

    @admin.action(description="Create a draft from the selected version", permissions=["lifecycle"])
    def create_draft(self, request: HttpRequest, queryset: QuerySet) -> None:
        def create(version: CoreOutcomeSetVersion) -> str:
            draft = version_draft_create(from_version=version, by=request.user)
            return f"Created draft {draft} from {version.version}."

        self._one_step(request, queryset, create)

    @admin.action(description="Start consensus on the selected draft", permissions=["lifecycle"])
    def start_consensus(self, request: HttpRequest, queryset: QuerySet) -> None:
        def start(version: CoreOutcomeSetVersion) -> str:
            version_consensus_start(version=version, by=request.user)
            return f"{version} is now in consensus."

        self._one_step(request, queryset, start)


class MeasurementInline(FrozenVersionMixin, admin.TabularInline):
    """Read-only under an outcome of a frozen version."""

    model = Measurement
    fields = ["order", "instrument", "timing", "note"]
    autocomplete_fields = ["instrument"]
    extra = 0
    frozen_version = "version"


@admin.register(Outcome)
class OutcomeAdmin(FrozenVersionMixin, ImmutabilityMessageMixin, admin.ModelAdmin):
    list_display = ["name", "version", "order"]
    list_filter = ["version__core_outcome_set__disease_area", "domains__core_area"]
    search_fields = ["name", "definition", "version__core_outcome_set__title"]
    list_select_related = ["version__core_outcome_set"]
    filter_horizontal = ["domains"]
    readonly_fields = ["identity", "evidence"]
    inlines = [MeasurementInline]
    frozen_version = "version"  # an outcome of a frozen version is read-only, its measurements too


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
    list_display = ["code", "process", "group", "language", "consented_at", "link"]
    list_filter = ["process", "group"]
    search_fields = ["code", "email", "name"]
    exclude = ["token_hash"]

    @admin.display(description="Link")
    def link(self, panelist: Panelist) -> str:
        return Panelist.LinkStatus(panelist.link_status).label


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through services (the audit log, ratings, tallies, participation, task bookkeeping):
    shown, never edited here, so that every change keeps its transaction, its checks and its audit event."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit log is append-only."""

    # actor_label, not actor: the user may have been deleted since (the log keeps their id and name).
    list_display = ["created_at", "action", "object_type", "object_id", "actor_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "actor_label", "action"]


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ["panelist", "round", "invited_at", "started_at", "completed_at"]
    list_filter = ["round__process", "round__number"]
    list_select_related = ["panelist", "round__process"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["panelist", "round_item", "score", "unable_to_score", "vote", "updated_at"]
    list_filter = ["round_item__round__process", "round_item__round__number", "unable_to_score"]
    list_select_related = ["panelist", "round_item__round__process", "round_item__item"]
    search_fields = ["panelist__code", "round_item__item__name"]


@admin.register(ContentTranslation)
class ContentTranslationAdmin(ReadOnlyAdmin):
    """Translations change through the facilitators' page or API, which keep the review status true to the text."""

    list_display = ["__str__", "language", "status", "text", "reviewed_by", "reviewed_at", "review_note"]
    list_filter = ["language", "status", "field"]
    list_select_related = ["reviewed_by"]
    search_fields = ["text"]


@admin.register(ItemResult)
class ItemResultAdmin(ReadOnlyAdmin):
    list_display = ["round_item", "group", "n", "pct_low", "pct_mid", "pct_high", "median", "classification"]
    list_filter = ["classification", "round_item__round__process"]
    list_select_related = ["round_item__round__process", "round_item__item", "group"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["task_name", "created_at", "sent_at", "done_at", "attempts", "last_error"]
    list_filter = ["task_name"]


@admin.register(RegistryDump)
class RegistryDumpAdmin(ReadOnlyAdmin):
    list_display = ["id", "format", "status", "requested_by", "created_at", "finished_at", "size_bytes"]
    list_filter = ["status", "format"]


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """The abbreviations and synonyms search expands (outcomes/search/query.py): read at every search, so an edit
    applies at once, with no rebuild."""

    list_display = ["term", "expansion_summary", "note", "updated_at"]
    search_fields = ["term", "expansions", "note"]
    fields = ["term", "expansions", "note"]

    @admin.display(description="expansions")
    def expansion_summary(self, obj: SearchSynonym) -> str:
        return "; ".join(obj.expansion_list)


@admin.register(SearchWord)
class SearchWordAdmin(ReadOnlyAdmin):
    """The search index's vocabulary (typo correction), derived like the index."""

    list_display = ["word", "stem"]
    search_fields = ["word"]


@admin.register(SetSearchIndex)
class SetSearchIndexAdmin(ReadOnlyAdmin):
    """Derived from the sets and their current versions (outcomes/services/search.py); `manage.py
    search_index_rebuild` recomputes it."""

    list_display = ["core_outcome_set", "disease_area", "domain_bits"]
    list_filter = ["disease_area"]
    list_select_related = ["core_outcome_set", "disease_area"]
    search_fields = ["core_outcome_set__title", "core_outcome_set__slug"]


# The admin of the later capabilities, one module each; they build on ReadOnlyAdmin and the mixins above.
from outcomes.admin import network, notifications, trials  # noqa: E402, F401
