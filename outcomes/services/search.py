"""The set list's search index (outcomes.models.search): one row per set, derived from its title and the content
of its public (published, superseded, withdrawn) versions.

Public content never changes (outcomes/immutability.py), so the index changes only when a set's title changes or
a version becomes public or changes public status: `set_search_index_refresh` is called by those services
(version_publish, version_withdraw, the reference data load, the admin's set form), `set_search_index_rebuild`
recomputes every row (after a restore, and for operators: `manage.py search_index_rebuild`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Outcome, SetSearchDomain, SetSearchIndex

# The public statuses (outcomes.selectors.PUBLIC_STATUSES): exactly the frozen ones.
PUBLIC_STATUSES = CoreOutcomeSetVersion.FROZEN_STATUSES


def search_fold(text: str) -> str:
    """Case-folded: the index holds folded text and the filter folds its words, so the database compares with a
    plain LIKE (no UPPER() over every candidate row; docs/performance.md)."""
    return text.casefold()


def search_text(*, title: str, names: Iterable[str]) -> str:
    """The title, then the distinct outcome names in sorted order, one per line, case-folded."""
    return search_fold("\n".join([title, *sorted(set(names))]))


@transaction.atomic
def set_search_index_refresh(*, core_outcome_set: CoreOutcomeSet) -> SetSearchIndex:
    """Recompute one set's row from its title and public versions; writes only what differs."""
    cos = core_outcome_set
    public = Outcome.objects.filter(version__core_outcome_set=cos, version__status__in=PUBLIC_STATUSES)
    text = search_text(title=cos.title, names=public.values_list("name", flat=True))
    domain_ids = set(public.values_list("domains", flat=True)) - {None}
    index, created = SetSearchIndex.objects.get_or_create(core_outcome_set=cos, defaults={"text": text})
    if not created and index.text != text:
        index.text = text
        index.save(update_fields=["text"])
    current = set(index.domain_links.values_list("domain_id", flat=True))
    if current != domain_ids:
        index.domain_links.filter(domain_id__in=current - domain_ids).delete()
        SetSearchDomain.objects.bulk_create(
            SetSearchDomain(index=index, domain_id=domain_id) for domain_id in sorted(domain_ids - current)
        )
    return index


@transaction.atomic
def set_search_index_rebuild(*, batch_size: int = 2000) -> int:
    """Recompute every set's row from scratch, `batch_size` sets at a time (a fixed number of queries per
    batch); return the number of sets."""
    SetSearchDomain.objects.all().delete()
    SetSearchIndex.objects.all().delete()
    set_ids = list(CoreOutcomeSet.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(set_ids), batch_size):
        batch = set_ids[start : start + batch_size]
        _rebuild_batch(batch)
    return len(set_ids)


def _rebuild_batch(set_ids: list[int]) -> None:
    titles = dict(CoreOutcomeSet.objects.filter(pk__in=set_ids).values_list("pk", "title"))
    public = Outcome.objects.filter(version__core_outcome_set__in=set_ids, version__status__in=PUBLIC_STATUSES)
    names: dict[int, set[str]] = defaultdict(set)
    for set_id, name in public.values_list("version__core_outcome_set", "name").distinct():
        names[set_id].add(name)
    domains = set(public.filter(domains__isnull=False).values_list("version__core_outcome_set", "domains").distinct())
    SetSearchIndex.objects.bulk_create(
        SetSearchIndex(core_outcome_set_id=pk, text=search_text(title=titles[pk], names=names[pk])) for pk in set_ids
    )
    SetSearchDomain.objects.bulk_create(
        (SetSearchDomain(index_id=set_id, domain_id=domain_id) for set_id, domain_id in sorted(domains)),
        batch_size=5000,
    )
