"""Translated content in templates: `{% tr item "name" %}` prints the text in the page's language (English when no
reviewed translation exists) inside a span whose `lang` names the language the text is really in, for screen
readers; `item|tr_text:"name"` gives the plain text (for attributes)."""

from __future__ import annotations

from django import template
from django.db.models import Model
from django.utils.html import format_html

from outcomes.selectors.translations import Localized, localized

register = template.Library()


@register.simple_tag(takes_context=True)
def tr(context: template.Context, obj: Model | None, field: str) -> str:
    if obj is None:
        return ""
    text = localized(obj, field, context.get("content_language"))
    if not text.text:
        return ""
    return format_html('<span lang="{}">{}</span>', text.language, text.text)


@register.simple_tag(takes_context=True)
def tr_text(context: template.Context, obj: Model | None, field: str) -> Localized:
    """The text and its language, for an attribute or a caption: `{% tr_text item "name" as name %}` then
    `{{ name }}` (the text) and `{{ name.language }}`."""
    if obj is None:
        return Localized("", "en")
    return localized(obj, field, context.get("content_language"))
