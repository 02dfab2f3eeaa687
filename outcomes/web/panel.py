"""Panelist pages. The personal link identifies the panelist; their id then lives in the session.

A panelist sees their own ratings and aggregated feedback only, never another panelist.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from outcomes.models import Item, Panelist, Rating, Round
from outcomes.selectors import consensus as selectors
from outcomes.selectors.translations import language_name, localized
from outcomes.services import consensus as svc
from outcomes.web.consensus_forms import ConsentForm, SuggestionForm
from outcomes.web.panel_i18n import request_language

SESSION_KEY = "panelist_id"
SCORES = [str(n) for n in range(1, 10)]


def _error(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "panel/link_error.html", {"message": message}, status=status)


def _in_language(request: HttpRequest, language: str, view, *args, **kwargs) -> HttpResponse:
    """Run a view with `language` active: its messages, the page and its month names are in that language."""
    with translation.override(language):
        request.LANGUAGE_CODE = language
        response = view(request, *args, **kwargs)
    response["Content-Language"] = language
    return response


def panelist_required(view):
    """Identify the panelist from the session and show the page in their language (the process's texts too)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        panelist_id = request.session.get(SESSION_KEY)
        panelist = (
            Panelist.objects.select_related("process__core_outcome_set", "group")
            .prefetch_related("process__translations", "group__translations")
            .filter(pk=panelist_id)
            .first()
            if panelist_id
            else None
        )
        if panelist is None:
            return _in_language(
                request,
                request_language(request),
                _error,
                gettext_lazy("Please open the personal link from your invitation email."),
            )
        try:
            with translation.override(panelist.language):
                svc.panelist_check_active(panelist)
        except svc.PanelistTokenError as exc:
            request.session.pop(SESSION_KEY, None)
            return _in_language(request, panelist.language, _error, str(exc))
        request.panelist = panelist
        return _in_language(request, panelist.language, view, *args, **kwargs)

    return wrapper


def enter(request: HttpRequest, token: str) -> HttpResponse:
    """Follow a personal link: remember the panelist in the session, then leave the token out of the address bar."""
    try:
        with translation.override(request_language(request)):
            panelist = svc.panelist_authenticate(token=token)
    except svc.PanelistTokenError as exc:
        return _in_language(request, request_language(request), _error, str(exc))
    request.session.cycle_key()
    request.session[SESSION_KEY] = panelist.pk
    return redirect("panel:home")


@panelist_required
def home(request: HttpRequest) -> HttpResponse:
    panelist = request.panelist
    form = ConsentForm(process=panelist.process, initial={"group": panelist.group_id, "language": panelist.language})
    context = {
        "panelist": panelist,
        "process": panelist.process,
        "rounds": selectors.panelist_rounds(panelist),
        "consent_form": form,
    }
    return render(request, "panel/home.html", context)


@require_POST
@panelist_required
def consent(request: HttpRequest) -> HttpResponse:
    panelist = request.panelist
    form = ConsentForm(request.POST, process=panelist.process)
    if form.is_valid():
        try:
            panelist = svc.panelist_consent(
                panelist=panelist, group=form.cleaned_data["group"], language=form.cleaned_data["language"] or None
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            with translation.override(panelist.language):
                messages.success(request, _("Thank you. You can now take part in the open round."))
            return redirect("panel:home")
    context = {"panelist": panelist, "process": panelist.process, "rounds": [], "consent_form": form}
    return render(request, "panel/home.html", context, status=400)


def _parse_round_form(post, view: selectors.PanelRound) -> tuple[list[svc.RatingInput], dict[int, str]]:
    entries, errors = [], {}
    for panel_item in view.items:
        item = panel_item.item
        raw = post.get(f"score-{item.pk}", "")
        entry = svc.RatingInput(
            item_id=item.pk,
            comment=post.get(f"comment-{item.pk}", "").strip(),
            proposed_wording=post.get(f"wording-{item.pk}", "").strip() if item.kind == Item.Kind.DEFINITION else "",
        )
        if view.round.kind == Round.Kind.MEETING:
            entry.vote = raw if raw in Rating.Vote.values else ""
            if raw and not entry.vote:
                errors[item.pk] = _("Choose include, exclude or abstain.")
        elif item.kind == Item.Kind.ALTERNATIVES:
            if raw.isdecimal() and any(o.pk == int(raw) for o in item.options.all()):
                entry.option_id = int(raw)
            elif raw:
                errors[item.pk] = _("Choose one of the options.")
        elif raw == "unable":
            entry.unable_to_score = True
        elif raw in SCORES:
            entry.score = int(raw)
        elif raw:
            errors[item.pk] = _("Choose a score from 1 to 9, or 'unable to score'.")
        entries.append(entry)
    return entries, errors


def _answer(rating: Rating | None) -> str:
    if rating is None:
        return ""
    if rating.unable_to_score:
        return "unable"
    if rating.score is not None:
        return str(rating.score)
    if rating.option_id is not None:
        return str(rating.option_id)
    return rating.vote


def _answer_label(rating: Rating | None) -> str:
    """A previous answer as the panelist reads it, in their language."""
    if rating is None:
        return ""
    if rating.unable_to_score:
        return _("unable to score")
    if rating.option_id is not None:
        return localized(rating.option, "label").text
    if rating.vote:
        return rating.get_vote_display()
    return str(rating.score) if rating.score is not None else ""


@panelist_required
def round_form(request: HttpRequest, number: int) -> HttpResponse:
    panelist = request.panelist
    round_ = Round.objects.filter(process=panelist.process, number=number).first()
    if round_ is None or not round_.participations.filter(panelist=panelist).exists():
        return _error(request, _("You are not invited to round %(number)s.") % {"number": number}, status=404)
    if panelist.consented_at is None:
        messages.warning(request, _("Please give your consent first."))
        return redirect("panel:home")
    view = selectors.panel_round(panelist, round_)
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        entries, errors = _parse_round_form(request.POST, view)
        complete = request.POST.get("action") == "submit"
        if not errors:
            try:
                svc.rating_submit(panelist=panelist, round=round_, ratings=entries, complete=complete)
            except svc.RatingsRefused as exc:
                errors = {entries[int(i)].item_id: " ".join(p.values()) for i, p in exc.errors.items()}
            except ValidationError as exc:
                # The service's refusal stands (an incomplete submission stores nothing); the form shows what they
                # entered, so that they can complete it or save it as a draft.
                messages.error(request, " ".join(exc.messages))
                status = 400
            else:
                if complete:
                    messages.success(
                        request,
                        _("Thank you: round %(number)s is submitted. You can change it until it closes.")
                        % {"number": number},
                    )
                else:
                    messages.success(
                        request,
                        _(
                            "Your answers are saved as a draft. Come back any time before the round closes;"
                            " only what you submit is counted."
                        ),
                    )
                return redirect("panel:round", number=number)
        if errors:
            status = 400
            messages.error(request, _("Some answers need your attention; nothing was saved."))
        view = selectors.panel_round(panelist, round_)
    posted = request.POST if request.method == "POST" and status == 400 else None
    for panel_item in view.items:
        pk = panel_item.item.pk
        panel_item.error = errors.get(pk, "")
        if posted is not None:
            panel_item.current = posted.get(f"score-{pk}", "")
            panel_item.comment = posted.get(f"comment-{pk}", "")
            panel_item.wording = posted.get(f"wording-{pk}", "")
        else:
            panel_item.current = _answer(panel_item.rating)
            panel_item.comment = panel_item.rating.comment if panel_item.rating else ""
            panel_item.wording = panel_item.rating.proposed_wording if panel_item.rating else ""
        panel_item.previous = _answer(panel_item.previous_rating)
        panel_item.previous_label = _answer_label(panel_item.previous_rating)
    context = {
        "panelist": panelist,
        "process": panelist.process,
        "view": view,
        "scores": [str(n) for n in range(1, 10)],
        "votes": Rating.Vote.choices,
    }
    return render(request, "panel/round.html", context, status=status)


@panelist_required
def suggestions(request: HttpRequest) -> HttpResponse:
    panelist = request.panelist
    open_round = Round.objects.filter(
        process=panelist.process, status=Round.Status.OPEN, allow_suggestions=True
    ).first()
    form = SuggestionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if open_round is None:
            form.add_error(None, _("No round is taking suggestions now."))
        elif form.is_valid():
            try:
                svc.suggestion_submit(panelist=panelist, round=open_round, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Thank you: the facilitators will review your suggestion."))
                return redirect("panel:suggestions")
        status = 400
    context = {
        "panelist": panelist,
        "process": panelist.process,
        "open_round": open_round,
        "form": form,
        "suggestions": selectors.panelist_suggestions(panelist),
    }
    return render(request, "panel/suggestions.html", context, status=status)


@require_POST
@panelist_required
def language(request: HttpRequest) -> HttpResponse:
    """Switch the panelist's language (stored on the panelist: pages and emails follow), then return to the page."""
    panelist = request.panelist
    try:
        panelist = svc.panelist_language_set(panelist=panelist, language=request.POST.get("language", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        with translation.override(panelist.language):
            messages.success(
                request, _("The panel pages are now in %(language)s.") % {"language": language_name(panelist.language)}
            )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    return redirect(target or "panel:home")


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    return _in_language(
        request, request_language(request), _error, gettext_lazy("You have left the panel pages on this device."), 200
    )
