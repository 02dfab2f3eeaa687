"""Facilitator pages: run a consensus process. Every view checks the user facilitates THIS process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from outcomes import cos_stad
from outcomes.exports import consensus as exports
from outcomes.models import (
    ConsensusProcess,
    ContentTranslation,
    Item,
    Panelist,
    Round,
    RoundItem,
    StakeholderGroup,
    Suggestion,
)
from outcomes.models.translations import TRANSLATABLE_FIELDS
from outcomes.permissions import can_read_consensus_aggregates, is_curator, is_facilitator
from outcomes.selectors import consensus as selectors
from outcomes.selectors.translations import language_name, process_translations
from outcomes.services import consensus as svc
from outcomes.web.consensus_forms import (
    CsvImportForm,
    DefinitionForm,
    GroupForm,
    GroupRenameForm,
    InviteForm,
    ItemEditForm,
    ItemForm,
    LiveCountsForm,
    ProcessCreateForm,
    RoundCreateForm,
    SettingsForm,
    SuggestionDecisionForm,
    TranslationForm,
)
from outcomes.web.forms import form_add_service_errors


def facilitator_required(view):
    """Load the process named by `pk` and refuse anyone but its facilitators (and admins) with a 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, pk: int, *args, **kwargs) -> HttpResponse:
        process = get_object_or_404(selectors.process_queryset(), pk=pk)
        if not is_facilitator(request.user, process):
            raise PermissionDenied("You are not a facilitator of this process.")
        return view(request, process, *args, **kwargs)

    return wrapper


def _fail(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def _back(process: ConsensusProcess, name: str = "facilitator:dashboard") -> HttpResponse:
    return redirect(name, pk=process.pk)


@login_required
def process_list(request: HttpRequest) -> HttpResponse:
    context = {"processes": selectors.processes_for(request.user), "can_create": is_curator(request.user)}
    return render(request, "facilitator/process_list.html", context)


@login_required
def process_create(request: HttpRequest) -> HttpResponse:
    """Curators start a process; they become its first facilitator."""
    if not is_curator(request.user):
        raise PermissionDenied("Curators start consensus processes.")
    form = ProcessCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            process = svc.process_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_add_service_errors(form, exc)
        else:
            messages.success(request, f"Process created; it builds version {process.draft_version.version}.")
            return redirect("facilitator:dashboard", pk=process.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "facilitator/process_create.html", {"form": form}, status=status)


@facilitator_required
def dashboard(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    rounds = list(selectors.process_rounds(process))
    participation = [(r, selectors.round_participation(r)) for r in rounds if r.status != Round.Status.DRAFT]
    latest = next((r for r in reversed(rounds) if r.status == Round.Status.CLOSED), None)
    context = {
        "process": process,
        "rounds": rounds,
        "participation": participation,
        "latest": latest,
        "results": selectors.round_results(latest) if latest else [],
        "groups": process.groups.all(),
        "round_form": RoundCreateForm(),
        "pending_suggestions": Suggestion.objects.filter(round__process=process, status="pending").count(),
    }
    return render(request, "facilitator/dashboard.html", context)


@facilitator_required
def items(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    form = ItemForm(request.POST or None, process=process, prefix="item")
    csv_form = CsvImportForm()
    csv_problems: list[str] = []
    status = 200
    if request.method == "POST" and "import" in request.POST:
        csv_form = CsvImportForm(request.POST, request.FILES)
        form = ItemForm(process=process, prefix="item")
        if csv_form.is_valid():
            upload = csv_form.cleaned_data["file"]
            if upload.size > svc.CSV_MAX_BYTES:
                csv_problems = [f"The file is larger than {svc.CSV_MAX_BYTES // 1000} kB; split it."]
            else:
                try:
                    created = svc.candidates_import_csv(process=process, data=upload.read(), by=request.user)
                except ValidationError as exc:
                    csv_problems = exc.messages
                else:
                    messages.success(request, f"Imported {len(created)} candidates.")
                    return _back(process, "facilitator:items")
        status = 400
    elif request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.item_create(
                    process=process,
                    name=data["name"],
                    definition=data["definition"],
                    domain_numbers=data["domains"],
                    kind=data["kind"],
                    outcome_item=data["outcome_item"],
                    instrument=data["instrument"],
                    timing=data["timing"],
                    options=data["options"],
                    by=request.user,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"Added “{data['name']}”.")
                return _back(process, "facilitator:items")
        status = 400
    context = {
        "process": process,
        "items": selectors.process_items(process),
        "form": form,
        "csv_form": csv_form,
        "csv_problems": csv_problems,
    }
    return render(request, "facilitator/items.html", context, status=status)


@facilitator_required
def item_edit(request: HttpRequest, process: ConsensusProcess, item_id: int) -> HttpResponse:
    """Change a candidate's name, definition or domains until it has been in an opened round."""
    item = get_object_or_404(Item.objects.prefetch_related("domains"), pk=item_id, process=process)
    form = ItemEditForm(request.POST or None, initial=ItemEditForm.initial_for(item))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                svc.item_update(
                    item=item,
                    name=data["name"],
                    definition=data["definition"],
                    domain_numbers=data["domains"],
                    by=request.user,
                )
            except ValidationError as exc:
                form_add_service_errors(form, exc)
                item.refresh_from_db()  # the refused change was rolled back; show what is stored
            else:
                messages.success(request, f"Saved “{item.name}”.")
                return _back(process, "facilitator:items")
        status = 400
    context = {"process": process, "item": item, "form": form, "was_rated": svc.item_was_rated(item)}
    return render(request, "facilitator/item_edit.html", context, status=status)


@facilitator_required
def definition(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    """The consensus definition (locked once round 1 opens) and the process settings."""
    definition_form = DefinitionForm(instance=process, prefix="def")
    settings_form = SettingsForm(instance=process, prefix="set")
    group_form = GroupForm(prefix="group")
    status = 200
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "definition":
            form = definition_form = DefinitionForm(request.POST, instance=process, prefix="def")
        elif which == "settings":
            form = settings_form = SettingsForm(request.POST, instance=process, prefix="set")
        elif which == "group":
            form = group_form = GroupForm(request.POST, prefix="group")
        else:
            return _back(process, "facilitator:definition")
        if form.is_valid():
            try:
                if which == "group":
                    svc.group_create(process=process, name=form.cleaned_data["name"], by=request.user)
                else:
                    svc.process_update(process=process, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, "Saved.")
                return _back(process, "facilitator:definition")
        process.refresh_from_db()
        status = 400
    context = {
        "process": process,
        "definition_form": definition_form,
        "settings_form": settings_form,
        "group_form": group_form,
        "groups": process.groups.all(),
    }
    return render(request, "facilitator/definition.html", context, status=status)


@facilitator_required
def group_edit(request: HttpRequest, process: ConsensusProcess, group_id: int) -> HttpResponse:
    """Rename a stakeholder group (panelists see the new name)."""
    group = get_object_or_404(StakeholderGroup, pk=group_id, process=process)
    form = GroupRenameForm(request.POST or None, initial={"name": group.name})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            old_name = group.name
            try:
                svc.group_update(group=group, name=form.cleaned_data["name"], by=request.user)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"Renamed “{old_name}” to “{group.name}”.")
                return _back(process, "facilitator:definition")
        status = 400
    return render(
        request, "facilitator/group_edit.html", {"process": process, "group": group, "form": form}, status=status
    )


@require_POST
@facilitator_required
def group_delete(request: HttpRequest, process: ConsensusProcess, group_id: int) -> HttpResponse:
    group = get_object_or_404(StakeholderGroup, pk=group_id, process=process)
    try:
        svc.group_delete(group=group, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    return _back(process, "facilitator:definition")


@facilitator_required
def panelists(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    form = InviteForm(request.POST or None, process=process)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                panelist = svc.panelist_invite(process=process, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                form_add_service_errors(form, exc)
            else:
                messages.success(request, f"Invited {panelist.email} as {panelist.code}; the email is on its way.")
                return _back(process, "facilitator:panelists")
        status = 400
    rows = process.panelists.select_related("group").order_by("code")
    return render(
        request, "facilitator/panelists.html", {"process": process, "form": form, "panelists": rows}, status=status
    )


@require_POST
@facilitator_required
def panelist_action(request: HttpRequest, process: ConsensusProcess, panelist_id: int, action: str) -> HttpResponse:
    panelist = get_object_or_404(Panelist, pk=panelist_id, process=process)
    try:
        if action == "revoke":
            svc.panelist_revoke(panelist=panelist, by=request.user)
            messages.success(request, f"{panelist.code}'s link is revoked.")
        elif action == "resend":
            svc.panelist_invitation_resend(panelist=panelist, by=request.user)
            messages.success(request, f"A new link is on its way to {panelist.code}; the old one no longer works.")
    except ValidationError as exc:
        _fail(request, exc)
    return _back(process, "facilitator:panelists")


@require_POST
@facilitator_required
def round_create(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    form = RoundCreateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Check the round's kind and closing date.")
        return _back(process)
    try:
        round_ = svc.round_create(process=process, by=request.user, **form.cleaned_data)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Round {round_.number} is ready with {round_.round_items.count()} items; open it.")
    return _back(process)


@require_POST
@facilitator_required
def round_action(request: HttpRequest, process: ConsensusProcess, number: int, action: str) -> HttpResponse:
    round_ = get_object_or_404(Round, process=process, number=number)
    try:
        if action == "open":
            svc.round_open(round=round_, by=request.user)
            messages.success(request, f"Round {number} is open.")
        elif action == "close":
            svc.round_close(round=round_, by=request.user)
            messages.success(request, f"Round {number} is closed; the results are being tallied.")
    except ValidationError as exc:
        _fail(request, exc)
    return _back(process)


@facilitator_required
def round_results(request: HttpRequest, process: ConsensusProcess, number: int) -> HttpResponse:
    round_ = get_object_or_404(Round, process=process, number=number)
    context = {
        "process": process,
        "round": round_,
        "results": selectors.round_results(round_),
        "participation": selectors.round_participation(round_),
    }
    return render(request, "facilitator/round_results.html", context)


def _posted_id(request: HttpRequest, name: str) -> int | None:
    """The id a form names in a POST field, or None when it is not one (missing, "abc", a NUL, 30 digits): the
    view answers 400 with a message, instead of the ValueError a lookup by a malformed id raises."""
    raw = request.POST.get(name, "")
    return int(raw) if raw.isdecimal() and len(raw) <= 18 else None  # 18 digits: within a bigint


@facilitator_required
def suggestions(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    rows = (
        Suggestion.objects.filter(round__process=process)
        .select_related("panelist", "round", "merged_into", "resulting_item")
        .order_by("status", "created_at")
    )
    forms = {s.pk: SuggestionDecisionForm(process=process, prefix=f"s{s.pk}") for s in rows}
    status = 200
    if request.method == "POST":
        pk = _posted_id(request, "suggestion")
        if pk is None:
            messages.error(request, "The form's 'suggestion' field does not name a suggestion; nothing was decided.")
            pairs = [(s, forms[s.pk]) for s in rows]
            return render(request, "facilitator/suggestions.html", {"process": process, "rows": pairs}, status=400)
        suggestion = get_object_or_404(Suggestion, pk=pk, round__process=process)
        form = SuggestionDecisionForm(request.POST, process=process, prefix=f"s{suggestion.pk}")
        if form.is_valid():
            try:
                svc.suggestion_decide(
                    suggestion=suggestion,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    merge_into=form.cleaned_data["merge_into"],
                    domain_numbers=form.cleaned_data["domains"],
                    by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"Decided: {suggestion.name}.")
                return _back(process, "facilitator:suggestions")
        forms[suggestion.pk] = form
        status = 400
    pairs = [(s, forms[s.pk]) for s in rows]
    return render(request, "facilitator/suggestions.html", {"process": process, "rows": pairs}, status=status)


@facilitator_required
def meeting(request: HttpRequest, process: ConsensusProcess, number: int) -> HttpResponse:
    round_ = get_object_or_404(Round, process=process, number=number, kind=Round.Kind.MEETING)
    status = 200
    pk = _posted_id(request, "round_item") if request.method == "POST" else None
    if request.method == "POST" and pk is None:
        messages.error(request, "The form's 'round_item' field does not name an item of this meeting; nothing changed.")
        status = 400
    elif request.method == "POST":
        round_item = get_object_or_404(RoundItem, pk=pk, round=round_)
        form = LiveCountsForm(request.POST)
        if form.is_valid():
            try:
                svc.meeting_live_counts_set(round_item=round_item, by=request.user, **form.cleaned_data)
            except ValidationError as exc:
                _fail(request, exc)
                status = 400
            else:
                messages.success(request, f"Recorded the votes on “{round_item.item.name}”.")
                return redirect("facilitator:meeting", pk=process.pk, number=number)
        else:
            messages.error(request, "Counts are whole numbers, 0 or more.")
            status = 400
    round_items = round_.round_items.select_related("item").order_by("order", "id")
    context = {"process": process, "round": round_, "round_items": round_items}
    return render(request, "facilitator/meeting.html", context, status=status)


@require_POST
@facilitator_required
def finalise(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    try:
        version = svc.process_finalise(process=process, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Version {version.version} holds {version.outcomes.count()} agreed outcomes.")
    return _back(process)


@require_POST
@facilitator_required
def publish(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    try:
        version = svc.process_publish(process=process, by=request.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"Version {version.version} is published.")
    return _back(process)


def _aggregates_or_refuse(request: HttpRequest, pk: int) -> ConsensusProcess | HttpResponse:
    """The process whose aggregates (results, report) the user may read, or the sign-in redirect / a 403."""
    process = get_object_or_404(selectors.process_queryset(), pk=pk)
    if not can_read_consensus_aggregates(request.user, process):
        if not request.user.is_authenticated:
            return redirect(f"{redirect('login').url}?next={request.path}")
        raise PermissionDenied("The results and the report are published with the version.")
    return process


def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The COS-STAR-style summary. Aggregates only: public once the version is published, else facilitators."""
    process = _aggregates_or_refuse(request, pk)
    if isinstance(process, HttpResponse):
        return process
    data = selectors.report_data(process)
    context = {
        "process": process,
        "rounds": data.rounds,
        "participation": data.participation,
        "suggestions": data.suggestions,
        "final_outcomes": data.final_outcomes,
        "dropped": data.dropped,
        "languages": data.languages,
        "language_min_n": selectors.LANGUAGE_RESULTS_MIN_N,
        "is_facilitator": is_facilitator(request.user, process),
        "cos_stad": data.cos_stad,
        "cos_stad_citation": cos_stad.CITATION,
        "cos_stad_doi": cos_stad.DOI_URL,
    }
    return render(request, "facilitator/report.html", context)


def report_csv(request: HttpRequest, pk: int) -> HttpResponse:
    """The report as data (docs/consensus.md): one measure per row."""
    process = _aggregates_or_refuse(request, pk)
    if isinstance(process, HttpResponse):
        return process
    return exports.csv_download(process, "report")


@facilitator_required
def ratings_csv(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    """Exactly the answers that were tallied, pseudonymised (panelist codes, never names or emails), and the
    meeting's live counts."""
    return exports.csv_download(process, "ratings")


def results_csv(request: HttpRequest, pk: int) -> HttpResponse:
    process = _aggregates_or_refuse(request, pk)
    if isinstance(process, HttpResponse):
        return process
    return exports.csv_download(process, "results")


@dataclass
class TranslationRow:
    """One text of the process and its translation into the language on the page."""

    kind: str
    object_id: int
    label: str
    field: str
    english: str
    translation: ContentTranslation | None


def _translation_rows(process: ConsensusProcess, language: str) -> list[TranslationRow]:
    existing = {
        (row.target_kind, row.target_id, row.field): row
        for row in process_translations(process.pk).filter(language=language)
    }
    rows: list[TranslationRow] = []

    def add(kind: str, obj, label: str, fields: tuple[str, ...]) -> None:
        for field_name in fields:
            if getattr(obj, field_name):
                key = (kind, obj.pk, field_name)
                rows.append(
                    TranslationRow(kind, obj.pk, label, field_name, getattr(obj, field_name), existing.get(key))
                )

    add("process", process, "Process", TRANSLATABLE_FIELDS["process"])
    for group in process.groups.all():
        add("group", group, "Stakeholder group", ("name",))
    for item in selectors.process_items(process).prefetch_related("options"):
        add("item", item, f"Item {item.order}", TRANSLATABLE_FIELDS["item"])
        for option in item.options.all():
            add("option", option, f"Option of “{item.name}”", TRANSLATABLE_FIELDS["option"])
    return rows


@facilitator_required
def translations(request: HttpRequest, process: ConsensusProcess) -> HttpResponse:
    """Translate the process's texts into each of its languages and mark them reviewed (docs/consensus.md)."""
    others = [code for code in process.languages if code != settings.REFERENCE_LANGUAGE]
    language = request.GET.get("lang") or request.POST.get("language") or (others[0] if others else "")
    status = 200
    form = TranslationForm()
    if request.method == "POST":
        form = TranslationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                target = svc.translation_target(process=process, kind=data["object_type"], object_id=data["object_id"])
                svc.translation_set(
                    process=process,
                    target=target,
                    field=data["field"],
                    language=data["language"],
                    text=data["text"],
                    reviewed=data["reviewed"],
                    by=request.user,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                messages.success(request, "Translation saved.")
                return redirect(f"{reverse('facilitator:translations', args=[process.pk])}?lang={data['language']}")
        else:
            messages.error(request, "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
            status = 400
    context = {
        "process": process,
        "languages": [(code, language_name(code)) for code in others],
        "language": language if language in others else "",
        "language_name": language_name(language),
        "rows": _translation_rows(process, language) if language in others else [],
        "missing": svc.translations_missing(process=process),
    }
    return render(request, "facilitator/translations.html", context, status=status)
