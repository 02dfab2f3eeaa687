"""The set list's search index (outcomes.models.search): one row per set, derived from the set (title, disease
area) and the content of its public (published, superseded, withdrawn) versions (outcome names, their domains).

Public content never changes (outcomes/immutability.py), so a row changes only when its set's title or disease area
changes or one of its versions becomes public or changes public status: `set_search_index_refresh` is called by
those services (version_publish, version_withdraw, the reference data load, the admin's set form);
`set_search_index_rebuild` recomputes every row (after a restore, and for operators: `manage.py
search_index_rebuild`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from outcomes.models import CoreOutcomeSet, Outcome, SetSearchIndex
from outcomes.selectors import PUBLIC_STATUSES


def search_fold(text: str) -> str:
    """Case-folded: the index holds folded text and the filter folds its words, so the database compares with a
    plain LIKE (no UPPER() over every candidate row; docs/performance.md)."""
    return text.casefold()


def search_text(*, title: str, names: Iterable[str]) -> str:
    """The title, then the distinct outcome names in sorted order, one per line, case-folded."""
    return search_fold("\n".join([title, *sorted(set(names))]))


def domain_bit(number: int) -> int:
    """COMET domain `number` (1-38) as its bit in `SetSearchIndex.domain_bits`."""
    return 1 << (number - 1)


def domain_bits(numbers: Iterable[int | None]) -> int:
    bits = 0
    for number in numbers:
        if number is not None:
            bits |= domain_bit(number)
    return bits


@transaction.atomic
def set_search_index_refresh(*, core_outcome_set: CoreOutcomeSet) -> SetSearchIndex:
    """Recompute one set's row from the set and its public versions; writes only when something differs."""
    cos = core_outcome_set
    public = Outcome.objects.filter(version__core_outcome_set=cos, version__status__in=PUBLIC_STATUSES)
    values = {
        "disease_area_id": cos.disease_area_id,
        "domain_bits": domain_bits(public.values_list("domains__number", flat=True)),
        "text": search_text(title=cos.title, names=public.values_list("name", flat=True)),
    }
    index, created = SetSearchIndex.objects.get_or_create(core_outcome_set=cos, defaults=values)
    changed = [name for name, value in values.items() if getattr(index, name) != value]
    if not created and changed:
        for name in changed:
            setattr(index, name, values[name])
        index.save(update_fields=changed)
    return index


@transaction.atomic
def set_search_index_rebuild(*, batch_size: int = 2000) -> int:
    """Recompute every set's row from scratch, `batch_size` sets at a time (a fixed number of queries per
    batch); return the number of sets."""
    SetSearchIndex.objects.all().delete()
    set_ids = list(CoreOutcomeSet.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(set_ids), batch_size):
        _rebuild_batch(set_ids[start : start + batch_size])
    return len(set_ids)


def _rebuild_batch(set_ids: list[int]) -> None:
    sets = {
        pk: (title, area)
        for pk, title, area in CoreOutcomeSet.objects.filter(pk__in=set_ids).values_list(
            "pk", "title", "disease_area_id"
        )
    }
    public = Outcome.objects.filter(version__core_outcome_set__in=set_ids, version__status__in=PUBLIC_STATUSES)
    names: dict[int, set[str]] = defaultdict(set)
    for set_id, name in public.values_list("version__core_outcome_set", "name").distinct():
        names[set_id].add(name)
    numbers: dict[int, set[int]] = defaultdict(set)
    for set_id, number in public.values_list("version__core_outcome_set", "domains__number").distinct():
        numbers[set_id].add(number)
    SetSearchIndex.objects.bulk_create(
        SetSearchIndex(
            core_outcome_set_id=pk,
            disease_area_id=sets[pk][1],
            domain_bits=domain_bits(numbers[pk]),
            text=search_text(title=sets[pk][0], names=names[pk]),
        )
        for pk in set_ids
    )
