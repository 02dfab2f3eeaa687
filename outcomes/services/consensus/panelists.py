"""Panelists and their personal links: invite, issue and check tokens, consent, revoke."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from outcomes.models import (
    ConsensusProcess,
    Panelist,
    Participation,
    Round,
    StakeholderGroup,
)
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import Process, token_hash
from outcomes.services.emails import email_send
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.outbox import task_enqueue


class PanelistTokenError(Exception):
    """A personal link that is unknown, expired or revoked."""


def panelist_authenticate(*, token: str) -> Panelist:
    """The panelist a personal link belongs to, or PanelistTokenError with a message a panelist can act on."""
    if not token or len(token) > 200:
        raise PanelistTokenError(_("This link is not valid."))
    panelist = Panelist.objects.select_related("process", "group").filter(token_hash=token_hash(token)).first()
    if panelist is None:
        raise PanelistTokenError(_("This link is not valid. It may have been replaced by a newer invitation."))
    panelist_check_active(panelist)
    return panelist


def panelist_check_active(panelist: Panelist) -> None:
    if panelist.link_status == Panelist.LinkStatus.REVOKED:
        raise PanelistTokenError(_("This link has been revoked. Please contact the facilitator of the panel."))
    if panelist.link_status == Panelist.LinkStatus.EXPIRED:
        raise PanelistTokenError(_("This link has expired. Please ask the facilitator for a new invitation."))


@transaction.atomic
def panelist_invite(
    *,
    process: ConsensusProcess,
    email: str,
    by: AbstractBaseUser | None,
    name: str = "",
    group: StakeholderGroup | None = None,
    send_invitation: bool = True,
) -> Panelist:
    """Add a panelist and email them a personal link (through a Celery task, sent after commit).

    1. Lock the process so that codes are allocated one at a time.
    2. Create the panelist with a pseudonymous code; the link's token is issued by the email task, which keeps
       only its SHA-256 hash, so no plain token is ever written (not even into the task queue).
    3. If a round is open that this panelist may join, add them to it.
    """
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=process.pk)
    email = email.strip().lower()
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("email", "The process is finalised; no one can join any more.")
    if not email or "@" not in email:
        raise _refuse("email", "Enter a valid email address.")
    if process.panelists.filter(email=email).exists():
        raise _refuse("email", "This person is already on the panel.")
    if group is not None and group.process_id != process.pk:
        raise _refuse("group", "This group belongs to another process.")
    number = process.panelists.count() + 1
    while process.panelists.filter(code=f"P{number:04d}").exists():
        number += 1
    now = timezone.now()
    panelist = Panelist.objects.create(
        process=process,
        email=email,
        name=name.strip(),
        group=group,
        code=f"P{number:04d}",
        token_hash=token_hash(secrets.token_urlsafe(32)),  # a placeholder no one knows, replaced when emailed
        token_expires_at=now + dt.timedelta(days=process.invitation_valid_days),
        invited_at=now,
    )
    open_round = process.rounds.filter(status=Round.Status.OPEN).first()
    if open_round and (open_round.number == 1 or process.next_round_invitees == Process.Invitees.ALL):
        Participation.objects.create(round=open_round, panelist=panelist, invited_at=now)
    if send_invitation:
        task_enqueue(task_name="outcomes.tasks.panelist_invitation_send", kwargs={"panelist_id": panelist.pk})
    audit_record(
        action="consensus.panelist_invite", obj=panelist, actor=by, process=process, after={"code": panelist.code}
    )
    return panelist


@transaction.atomic
def panelist_token_issue(*, panelist: Panelist) -> str:
    """Issue a fresh personal link token (the previous link stops working) and return it; only its hash is kept."""
    panelist = Panelist.objects.select_for_update(of=("self",)).select_related("process").get(pk=panelist.pk)
    token = secrets.token_urlsafe(32)
    panelist.token_hash = token_hash(token)
    panelist.token_expires_at = timezone.now() + dt.timedelta(days=panelist.process.invitation_valid_days)
    panelist.token_revoked_at = None
    panelist.save(update_fields=["token_hash", "token_expires_at", "token_revoked_at"])
    audit_record(action="consensus.panelist_token_issue", obj=panelist, actor_label="system", process=panelist.process)
    return token


def panelist_link(token: str) -> str:
    return settings.SITE_URL + reverse("panel:enter", args=[token])


def panelist_invitation_email(*, panelist: Panelist) -> None:
    """Issue a new link and email it (called by the Celery task)."""
    if panelist.token_revoked_at is not None:
        return
    token = panelist_token_issue(panelist=panelist)
    email_send(
        template="panelist_invitation",
        context={"panelist": panelist, "process": panelist.process, "link": panelist_link(token)},
        to=[panelist.email],
        language=panelist.language,
    )


@transaction.atomic
def panelist_invitation_resend(*, panelist: Panelist, by: AbstractBaseUser | None) -> Panelist:
    if panelist.token_revoked_at is not None:
        raise _refuse("panelist", "This panelist's link was revoked; they cannot be invited again.")
    task_enqueue(task_name="outcomes.tasks.panelist_invitation_send", kwargs={"panelist_id": panelist.pk})
    audit_record(action="consensus.panelist_invitation_resend", obj=panelist, actor=by, process=panelist.process)
    return panelist


@transaction.atomic
def panelist_revoke(*, panelist: Panelist, by: AbstractBaseUser | None) -> Panelist:
    if panelist.token_revoked_at is None:
        panelist.token_revoked_at = timezone.now()
        panelist.save(update_fields=["token_revoked_at"])
        audit_record(action="consensus.panelist_revoke", obj=panelist, actor=by, process=panelist.process)
    return panelist


@transaction.atomic
def panelist_consent(*, panelist: Panelist, group: StakeholderGroup | None, language: str | None = None) -> Panelist:
    """Record consent, the panelist's stakeholder group (chosen now, or confirmed if the facilitator set it) and
    the language they take part in (one of the process's; unchanged when not given)."""
    panelist = Panelist.objects.select_for_update(of=("self",)).select_related("process").get(pk=panelist.pk)
    panelist_check_active_or_refuse(panelist)
    if language is not None:
        _refuse_unknown_language(panelist, language)
        panelist.language = language
    group = group or panelist.group
    if group is None:
        raise _refuse("group", _("Choose the stakeholder group you belong to."))
    if group.process_id != panelist.process_id:
        raise _refuse("group", _("Choose one of this study's stakeholder groups."))
    if panelist.group_id not in (None, group.pk) and panelist.ratings.exists():
        raise _refuse("group", _("You have already rated as a member of another group; ask the facilitator."))
    panelist.group = group
    panelist.consented_at = panelist.consented_at or timezone.now()
    panelist.save(update_fields=["group", "consented_at", "language"])
    audit_record(
        action="consensus.panelist_consent",
        obj=panelist,
        actor_label=panelist.code,
        process=panelist.process,
        after={"group": group.name, "language": panelist.language},
    )
    return panelist


def _refuse_unknown_language(panelist: Panelist, language: str) -> None:
    if language not in panelist.process.languages:
        raise _refuse("language", _("Choose one of the languages of this study."))


@transaction.atomic
def panelist_language_set(*, panelist: Panelist, language: str) -> Panelist:
    """The panelist switches the language of their pages and emails; their answers stay the same items."""
    panelist = Panelist.objects.select_for_update(of=("self",)).select_related("process").get(pk=panelist.pk)
    panelist_check_active_or_refuse(panelist)
    _refuse_unknown_language(panelist, language)
    if panelist.language != language:
        before = {"language": panelist.language}
        panelist.language = language
        panelist.save(update_fields=["language"])
        audit_record(
            action="consensus.panelist_language_set",
            obj=panelist,
            actor_label=panelist.code,
            process=panelist.process,
            before=before,
            after={"language": language},
        )
    return panelist


def panelist_check_active_or_refuse(panelist: Panelist) -> None:
    try:
        panelist_check_active(panelist)
    except PanelistTokenError as exc:
        raise _refuse("token", str(exc)) from None
