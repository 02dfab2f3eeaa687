"""The emails the registry sends: a subject and a plain-text body, each a template under templates/emails/."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def email_send(
    *, template: str, context: dict, to: list[str], language: str = "en", headers: dict[str, str] | None = None
) -> None:
    """Render emails/<template>_subject.txt and emails/<template>_body.txt in `language` (the interface's words
    from the gettext catalogues) with `context` and send them to `to`, with extra `headers` (e.g. List-Unsubscribe)."""
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context).rstrip("\n")
        body = render_to_string(f"emails/{template}_body.txt", context).rstrip("\n")
    EmailMultiAlternatives(subject, body, None, to, headers=headers).send()
