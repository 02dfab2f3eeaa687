"""Reading translated content: the text of a field in a language, with English (the reference) as fallback.

Pages prefetch `translations` (reviewed rows only, through `reviewed_translations`) so that a lookup is a scan of
a handful of prefetched rows, never a query per item.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Model, Prefetch, Q, QuerySet
from django.utils import translation

from outcomes.models import ContentTranslation


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


def reviewed_translations(to_attr: str | None = None) -> Prefetch:
    """Prefetch an object's reviewed translations (all languages: a page may switch)."""
    queryset = ContentTranslation.objects.filter(status=ContentTranslation.Status.REVIEWED)
    return Prefetch("translations", queryset=queryset, to_attr=to_attr)


@dataclass(frozen=True)
class Localized:
    """A text and the language it is in (for the `lang` attribute: a fallback to English says so)."""

    text: str
    language: str

    def __str__(self) -> str:
        return self.text


def localized(obj: Model, field: str, language: str | None = None) -> Localized:
    """The reviewed translation of `obj.field` into `language` (the active one by default), else the English."""
    language = (language or translation.get_language() or settings.REFERENCE_LANGUAGE).split("-")[0]
    original = getattr(obj, field)
    if language != settings.REFERENCE_LANGUAGE and original:
        for row in obj.translations.all():
            if row.language == language and row.field == field and row.status == ContentTranslation.Status.REVIEWED:
                return Localized(row.text, language)
    return Localized(original, settings.REFERENCE_LANGUAGE)


def reviewed_texts(obj: Model) -> dict[str, dict[str, str]]:
    """An object's reviewed translations as {language: {field: text}}, languages in the registry's order."""
    texts: dict[str, dict[str, str]] = {}
    order = {code: i for i, code in enumerate(language_codes())}
    for row in sorted(obj.translations.all(), key=lambda r: (order.get(r.language, 99), r.field)):
        if row.status == ContentTranslation.Status.REVIEWED:
            texts.setdefault(row.language, {})[row.field] = row.text
    return texts


def process_translations(process_id: int) -> QuerySet[ContentTranslation]:
    """Every translation of a process's texts (process, groups, items, options), for the facilitator."""
    return ContentTranslation.objects.filter(
        Q(process_id=process_id)
        | Q(group__process_id=process_id)
        | Q(item__process_id=process_id)
        | Q(option__item__process_id=process_id)
    ).select_related("reviewed_by")
