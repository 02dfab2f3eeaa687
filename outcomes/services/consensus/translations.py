"""Translations of a process's texts: the facilitator enters them per language, reviews them, and a round opens
only when every text its panelists read has a reviewed translation in each of the process's languages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone

from outcomes.models import (
    ConsensusProcess,
    ContentTranslation,
    CoreOutcomeSetVersion,
    Item,
    ItemOption,
    StakeholderGroup,
)
from outcomes.models.translations import TRANSLATABLE_FIELDS
from outcomes.selectors.translations import language_codes, language_name
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import NUL, _refuse_once_finalised
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses

_MODELS: dict[str, type[Model]] = {
    "process": ConsensusProcess,
    "group": StakeholderGroup,
    "item": Item,
    "option": ItemOption,
}


def process_languages_problem(languages: object) -> str | None:
    """Why a list of language codes cannot be a process's languages, or None."""
    if not isinstance(languages, list) or not all(isinstance(code, str) for code in languages):
        return "Give a list of language codes."
    unknown = [code for code in languages if code not in language_codes()]
    if unknown:
        return f"Unknown language {unknown[0]!r}; the registry offers {', '.join(language_codes())}."
    if settings.REFERENCE_LANGUAGE not in languages:
        return "English is always one of the languages: it is the reference wording."
    if len(set(languages)) != len(languages):
        return "A language is listed twice."
    return None


def translation_target(*, process: ConsensusProcess, kind: str, object_id: int) -> Model:
    """The process's own row of that kind and id, or a refusal naming `object_id`."""
    model = _MODELS.get(kind)
    if model is None:
        raise _refuse("object_type", f"Translations are of one of: {', '.join(_MODELS)}.")
    filters = {
        "process": {"pk": process.pk},
        "group": {"process": process},
        "item": {"process": process},
        "option": {"item__process": process},
    }[kind]
    target = model.objects.filter(pk=object_id, **filters).first()
    if target is None:
        raise _refuse("object_id", f"No {kind} {object_id} in this process.")
    return target


def translation_kind(target: Model) -> str:
    """The kind of row a translation targets: process, group, item or option."""
    return {ConsensusProcess: "process", StakeholderGroup: "group", Item: "item", ItemOption: "option"}[type(target)]


def _process_id_of(target: Model) -> int:
    if isinstance(target, ConsensusProcess):
        return target.pk
    if isinstance(target, ItemOption):
        return target.item.process_id
    return target.process_id


@transaction.atomic
def translation_set(
    *,
    process: ConsensusProcess,
    target: Model,
    field: str,
    language: str,
    text: str,
    reviewed: bool,
    by: AbstractBaseUser | None,
    review_note: str = "",
) -> ContentTranslation | None:
    """Write (or, given an empty text, delete) the translation of one field of one of the process's rows.

    1. The language must be one of the process's languages other than English, the field one that is translated.
    2. `reviewed` marks the text as checked by `by` (a facilitator); any change of the text without it makes the
       translation a draft again, so that a reviewed status always refers to the text as it is.
    """
    process = ConsensusProcess.objects.get(pk=process.pk)  # its languages as they are now
    _refuse_once_finalised(process, "its translations")
    kind = translation_kind(target)
    if _process_id_of(target) != process.pk:
        raise _refuse("object_id", f"This {kind} belongs to another process.")
    if field not in TRANSLATABLE_FIELDS[kind]:
        raise _refuse("field", f"A {kind} has these translated fields: {', '.join(TRANSLATABLE_FIELDS[kind])}.")
    if language == settings.REFERENCE_LANGUAGE:
        raise _refuse("language", "English is the reference wording; edit the item itself.")
    if language not in process.languages:
        raise _refuse("language", f"{language!r} is not one of this process's languages.")
    text = text.strip()
    if NUL in text:
        raise _refuse("text", "The text contains a NUL character.")
    if text and not getattr(target, field):
        raise _refuse("text", f"The English {field} is empty; there is nothing to translate.")
    existing = ContentTranslation.objects.select_for_update().filter(**{kind: target}, field=field, language=language)
    row = existing.first()
    before = {"text": row.text, "status": row.status} if row else None
    if not text:
        if row is not None:
            row.delete()
            audit_record(action="consensus.translation_delete", obj=process, actor=by, process=process, before=before)
        return None
    if row is None:
        row = ContentTranslation(**{kind: target}, field=field, language=language)
    text_changed = row.text != text
    row.text = text
    row.updated_by = by if by is not None and by.is_authenticated else None
    if reviewed:
        if row.status != ContentTranslation.Status.REVIEWED or text_changed:
            row.status = ContentTranslation.Status.REVIEWED
            row.reviewed_by = row.updated_by
            row.reviewed_at = timezone.now()
        row.review_note = review_note or row.review_note
    elif text_changed or row.pk is None:
        row.status = ContentTranslation.Status.DRAFT
        row.reviewed_by = None
        row.reviewed_at = None
        row.review_note = ""
    row.save()
    audit_record(
        action="consensus.translation_set",
        obj=process,
        actor=by,
        process=process,
        before=before,
        after={"target": f"{kind} {target.pk}", "field": field, "language": language, "status": row.status},
    )
    return row


@dataclass(frozen=True)
class MissingTranslation:
    kind: str
    object_id: int
    label: str
    field: str
    language: str

    def __str__(self) -> str:
        return f"{self.label}: {self.field.replace('_', ' ')} in {language_name(self.language)}"


def translations_missing(*, process: ConsensusProcess, items: Iterable[Item] | None = None) -> list[MissingTranslation]:
    """Every text a panelist of `items` (default: every item) reads that has no reviewed translation in one of the
    process's languages: the process's title, description and consent text, the group names, the items' names
    and definitions and their options. In a constant number of queries."""
    languages = [code for code in process.languages if code != settings.REFERENCE_LANGUAGE]
    if not languages:
        return []
    item_ids = None if items is None else [item.pk for item in items]
    item_qs = process.items.order_by("order", "id")
    if item_ids is not None:
        item_qs = item_qs.filter(pk__in=item_ids)
    item_rows = list(item_qs.prefetch_related("options"))
    option_ids = [option.pk for item in item_rows for option in item.options.all()]
    reviewed_keys = set()
    for row in ContentTranslation.objects.filter(
        Q(process_id=process.pk)
        | Q(group__process_id=process.pk)
        | Q(item_id__in=[item.pk for item in item_rows])
        | Q(option_id__in=option_ids),
        status=ContentTranslation.Status.REVIEWED,
        language__in=languages,
    ):
        reviewed_keys.add((row.target_kind, row.target_id, row.field, row.language))
    wanted: list[tuple[str, Model, str]] = []
    wanted += [("process", process, f) for f in TRANSLATABLE_FIELDS["process"]]
    wanted += [("group", g, "name") for g in process.groups.all()]
    for item in item_rows:
        wanted += [("item", item, f) for f in TRANSLATABLE_FIELDS["item"]]
        wanted += [("option", o, f) for o in item.options.all() for f in TRANSLATABLE_FIELDS["option"]]
    missing = []
    for kind, obj, field in wanted:
        if not getattr(obj, field):
            continue
        for language in languages:
            if (kind, obj.pk, field, language) not in reviewed_keys:
                missing.append(MissingTranslation(kind, obj.pk, _label(kind, obj), field, language))
    return missing


def _label(kind: str, obj: Model) -> str:
    if kind == "process":
        return "The process"
    if kind == "group":
        return f"Group “{obj.name}”"
    if kind == "item":
        return f"Item “{obj.name}”"
    return f"Option “{obj.label}”"


def translations_refuse_missing(*, process: ConsensusProcess, items: Iterable[Item]) -> None:
    """Refuse (listing what is missing) when a text of these items lacks a reviewed translation."""
    missing = translations_missing(process=process, items=items)
    if missing:
        shown = [str(m) for m in missing[:50]]
        more = f" … and {len(missing) - 50} more" if len(missing) > 50 else ""
        raise ValidationError(
            {
                "translations": "These texts have no reviewed translation yet: "
                + "; ".join(shown)
                + more
                + ". Translate and review them, or remove the language from the process."
            }
        )


def outcome_translations_copy(*, version: CoreOutcomeSetVersion, process: ConsensusProcess) -> int:
    """Give the outcomes of a finalised draft the reviewed translations of the items that decided them: the name,
    and the definition when the outcome kept the item's definition. Returns how many rows it wrote."""
    outcomes = list(version.outcomes.select_related("evidence__round_item__item"))
    item_ids = [o.evidence.round_item.item_id for o in outcomes if o.evidence_id]
    source = {}
    for row in ContentTranslation.objects.filter(item_id__in=item_ids, status=ContentTranslation.Status.REVIEWED):
        source.setdefault(row.item_id, []).append(row)
    ContentTranslation.objects.filter(outcome__version=version).delete()
    rows = []
    for outcome in outcomes:
        if not outcome.evidence_id:
            continue
        item = outcome.evidence.round_item.item
        for row in source.get(item.pk, []):
            if row.field == "definition" and outcome.definition != item.definition:
                continue
            rows.append(
                ContentTranslation(
                    outcome=outcome,
                    field=row.field,
                    language=row.language,
                    text=row.text,
                    status=row.status,
                    reviewed_by=row.reviewed_by,
                    reviewed_at=row.reviewed_at,
                    review_note=row.review_note,
                    updated_by=row.updated_by,
                )
            )
    ContentTranslation.objects.bulk_create(rows)
    return len(rows)
