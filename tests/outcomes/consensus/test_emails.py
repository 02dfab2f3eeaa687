"""The invitation and reminder emails: plain text rendered from templates/emails/, word for word."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone

from outcomes.services import consensus as svc
from tests.outcomes.consensus.conftest import add_member, make_process

TITLE = 'Heart & "failure" <panel>'


def test_invitation_email_is_plain_text_with_titles_unescaped_the_link_and_its_expiry(
    reference_data, facilitator, django_capture_on_commit_callbacks
):
    process = make_process(facilitator, title=TITLE)
    with django_capture_on_commit_callbacks(execute=True):
        panelist = svc.panelist_invite(process=process, email="ann@example.org", name="Ann", by=facilitator)
    (message,) = mail.outbox
    panelist.refresh_from_db()
    link = re.search(r"^http\S+/panel/t/\S+/$", message.body, re.M).group(0)
    assert message.subject == f"Invitation: {TITLE}"
    assert message.body == (
        "Dear Ann,\n\n"
        f'You are invited to take part in the consensus study "{TITLE}", which agrees the core outcome set '
        f'"{process.core_outcome_set.title}".\n\n'
        f"Your personal link (please do not share it; no account is needed):\n{link}\n\n"
        f"The link is valid until {panelist.token_expires_at:%d %B %Y}. It leads to information about the study, "
        "the consent form and the survey rounds.\n\nThank you."
    )
    assert not message.alternatives  # plain text only


def test_reminder_email_names_the_round_and_its_closing_time_in_utc(reference_data, facilitator):
    process = make_process(facilitator, title=TITLE)
    add_member(process, "pending@example.org")
    closes_at = (timezone.now() + dt.timedelta(days=10)).replace(hour=14, minute=7, second=0, microsecond=0)
    day = f"{closes_at:%d %B %Y}"  # e.g. 05 March 2030
    round1 = svc.round_open(
        round=svc.round_create(process=process, by=facilitator, closes_at=closes_at), by=facilitator
    )
    mail.outbox.clear()
    assert svc.reminders_send(now=round1.closes_at - dt.timedelta(days=2)) == 1
    (message,) = mail.outbox
    assert message.subject == f"Reminder: round 1 of {TITLE} closes on {day}"
    assert message.body == (
        f'Dear panelist,\n\nRound 1 of "{TITLE}" closes on {day} at 14:07 UTC and you have not submitted it '
        "yet. Please open the personal link from your invitation email (your saved answers are kept). If you cannot "
        "find it, ask the facilitator for a new one.\n\nThank you."
    )
