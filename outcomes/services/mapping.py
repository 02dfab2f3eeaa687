"""Concept sets of outcomes: propose a revision, review it (outcomes/models/mapping.py, docs/network.md).

Only curators call these (the pages and the API check the role). A revision is proposed with its items; while it
is not reviewed, proposing again replaces it (same number). Reviewing freezes it: from then on a change is a new
revision, and the exports use the latest reviewed one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outcomes.models import ConceptSetItem, ConceptSetRevision, CoreOutcomeSet, Outcome
from outcomes.services.audit import audit_record
from outcomes.services.errors import refuse
from outcomes.services.omop_vocabulary import Resolution, codes_resolve, vocabulary_loaded
from outcomes.vocabularies import DOMAINS, OMOP, OMOP_CONCEPT_ID_MAX, OMOP_DOMAIN_ID, VOCABULARIES, code_problem

MAX_ITEMS = 200
NAME_MAX = 255
# A window of more than 100 years is a typing error, not a follow-up time.
WINDOW_LIMIT_DAYS = 36_600

Status = ConceptSetRevision.Status


@dataclass(frozen=True)
class ItemInput:
    vocabulary: str
    code: str
    name: str
    domain: str
    concept_id: int | None = None
    include_descendants: bool = True
    include_mapped: bool = False
    is_excluded: bool = False


@dataclass
class MappingProposal:
    revision: ConceptSetRevision
    warnings: list[str] = field(default_factory=list)


def _item_problems(position: int, item: ItemInput) -> dict[str, str]:
    where = f"items.{position}"
    problems = {}
    code = item.code.strip()
    if item.vocabulary not in VOCABULARIES:
        problems[f"{where}.vocabulary"] = (
            f"{item.vocabulary!r} is not a vocabulary: use one of {', '.join(VOCABULARIES)}."
        )
    elif not code:
        problems[f"{where}.code"] = "Give the code."
    else:
        problem = code_problem(item.vocabulary, code)
        if problem:
            problems[f"{where}.code"] = problem
    if item.domain not in DOMAINS:
        problems[f"{where}.domain"] = f"{item.domain!r} is not an OMOP domain: use one of {', '.join(DOMAINS)}."
    if len(item.name.strip()) > NAME_MAX:
        problems[f"{where}.name"] = f"At most {NAME_MAX} characters."
    if item.concept_id is not None and not 0 <= item.concept_id <= OMOP_CONCEPT_ID_MAX:
        problems[f"{where}.concept_id"] = f"An OMOP concept id is a whole number from 0 to {OMOP_CONCEPT_ID_MAX}."
    if (
        item.vocabulary == OMOP
        and item.concept_id is not None
        and "code" not in problems
        and item.concept_id != int(code)
    ):
        problems[f"{where}.concept_id"] = "For an OMOP concept id item, the code is the concept id: leave this empty."
    return problems


def mapping_check(
    *, items: list[ItemInput], counts_all_deaths: bool, window: tuple[int, int] | None
) -> list[ItemInput]:
    """The items, cleaned (codes stripped), or a ValidationError naming every field at fault (`items.2.code`)."""
    problems: dict[str, str] = {}
    if len(items) > MAX_ITEMS:
        problems["items"] = f"At most {MAX_ITEMS} items in one concept set."
    if not items and not counts_all_deaths:
        problems["items"] = "Give at least one code, or tick that any death counts (all-cause mortality)."
    seen: dict[tuple[str, str], int] = {}
    for position, item in enumerate(items):
        problems.update(_item_problems(position, item))
        key = (item.vocabulary, item.code.strip())
        if key in seen:
            problems[f"items.{position}.code"] = f"{item.vocabulary} {key[1]} is already item {seen[key] + 1}."
        seen.setdefault(key, position)
    if window is not None:
        start, end = window
        if start > end:
            problems["window"] = "The window's start day comes after its end day."
        elif max(abs(start), abs(end)) > WINDOW_LIMIT_DAYS:
            problems["window"] = f"A window is at most {WINDOW_LIMIT_DAYS} days from the index date."
    if problems:
        raise ValidationError(problems)
    return [
        ItemInput(
            vocabulary=i.vocabulary,
            code=i.code.strip(),
            name=i.name.strip(),
            domain=i.domain,
            concept_id=i.concept_id,
            include_descendants=i.include_descendants,
            include_mapped=i.include_mapped,
            is_excluded=i.is_excluded,
        )
        for i in items
    ]


def _resolved(item: ItemInput, found: Resolution | None, warnings: list[str]) -> ItemInput:
    """The item with its standard concept id and name from the loaded vocabulary, adding a warning for every
    disagreement (unknown code, other name, no standard concept, other domain). Without a vocabulary, as given."""
    concept_id = int(item.code) if item.vocabulary == OMOP else item.concept_id
    label = f"{item.vocabulary} {item.code}"
    name = item.name
    if found is None:
        warnings.append(f"{label} is not in the loaded OMOP vocabulary.")
        return replace(item, concept_id=concept_id, name=name or label)
    if not name:
        name = found.source.concept_name
    elif name.casefold() != found.source.concept_name.casefold():
        warnings.append(f"{label} is named {found.source.concept_name!r} in the vocabulary, not {name!r}.")
    if found.standard is None:
        warnings.append(f"{label} maps to no standard concept in the loaded vocabulary.")
        return replace(item, concept_id=concept_id, name=name)
    if concept_id is not None and concept_id != found.standard.concept_id:
        warnings.append(
            f"{label} maps to standard concept {found.standard.concept_id}, not to the concept id given ({concept_id})."
        )
    expected = OMOP_DOMAIN_ID[item.domain]
    if found.standard.domain_id != expected:
        warnings.append(f"{label} is in the {found.standard.domain_id} domain, not {expected}.")
    return replace(item, concept_id=concept_id if concept_id is not None else found.standard.concept_id, name=name)


def _snapshot(revision: ConceptSetRevision) -> dict:
    return {
        "number": revision.number,
        "status": revision.status,
        "counts_all_deaths": revision.counts_all_deaths,
        "window": revision.window,
        "items": [
            {
                "vocabulary": i.vocabulary,
                "code": i.code,
                "name": i.name,
                "concept_id": i.concept_id,
                "domain": i.domain,
                "include_descendants": i.include_descendants,
                "include_mapped": i.include_mapped,
                "is_excluded": i.is_excluded,
            }
            for i in revision.items.all()
        ],
    }


@transaction.atomic
def mapping_propose(
    *,
    outcome: Outcome,
    items: list[ItemInput],
    by: AbstractBaseUser,
    counts_all_deaths: bool = False,
    window: tuple[int, int] | None = None,
    note: str = "",
) -> MappingProposal:
    """Propose a concept set for an outcome (by its identity, so for every version that carries it).

    1. Check every item (vocabulary, code form, domain, duplicates) and the window; refuse naming each field.
    2. With a loaded OMOP vocabulary, resolve each code to its standard concept and collect warnings.
    3. Lock the set and the outcome's revisions; replace the pending proposal if there is one, else open the next
       number.
    4. Store the items and record the proposal in the audit log.
    """
    cleaned = mapping_check(items=items, counts_all_deaths=counts_all_deaths, window=window)
    warnings: list[str] = []
    if vocabulary_loaded():
        resolved = codes_resolve([(i.vocabulary, i.code) for i in cleaned])
        cleaned = [_resolved(i, resolved.get((i.vocabulary, i.code)), warnings) for i in cleaned]
    else:
        cleaned = [
            replace(
                i,
                concept_id=int(i.code) if i.vocabulary == OMOP else i.concept_id,
                name=i.name or f"{i.vocabulary} {i.code}",
            )
            for i in cleaned
        ]
    # Lock the set's row: two first proposals for one outcome would otherwise both take number 1 (there is no
    # revision row yet to lock).
    cos = CoreOutcomeSet.objects.select_for_update().get(pk=outcome.version.core_outcome_set_id)
    revisions = list(
        ConceptSetRevision.objects.select_for_update().filter(outcome_identity=outcome.identity).order_by("-number")
    )
    pending = revisions[0] if revisions and revisions[0].status == Status.PROPOSED else None
    before = None
    start, end = window if window is not None else (None, None)
    if pending is not None:
        before = _snapshot(pending)
        pending.items.all().delete()
        revision = pending
    else:
        revision = ConceptSetRevision(
            outcome_identity=outcome.identity,
            core_outcome_set=cos,
            number=revisions[0].number + 1 if revisions else 1,
        )
    revision.counts_all_deaths = counts_all_deaths
    revision.window_start_day, revision.window_end_day = start, end
    revision.note = note.strip()
    revision.proposed_by = by
    revision.save()
    ConceptSetItem.objects.bulk_create(
        ConceptSetItem(revision=revision, order=position, **asdict(item)) for position, item in enumerate(cleaned)
    )
    audit_record(
        action="conceptset.propose",
        obj=revision,
        actor=by,
        core_outcome_set=cos,
        before=before,
        after={**_snapshot(revision), "outcome": str(outcome.identity), "warnings": warnings},
    )
    return MappingProposal(revision=revision, warnings=warnings)


@transaction.atomic
def mapping_review(*, revision: ConceptSetRevision, by: AbstractBaseUser) -> ConceptSetRevision:
    """Review a proposed revision: from now on it is immutable and the exports use it (if it is the latest).

    1. Lock the revision; refuse one that is already reviewed.
    2. Mark it reviewed by `by`, now, and record it in the audit log.
    """
    revision = ConceptSetRevision.objects.select_for_update().get(pk=revision.pk)
    if revision.status != Status.PROPOSED:
        raise refuse("status", f"Revision {revision.number} is already reviewed; propose a new revision to change it.")
    revision.status = Status.REVIEWED
    revision.reviewed_by = by
    revision.reviewed_at = timezone.now()
    revision.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    audit_record(
        action="conceptset.review",
        obj=revision,
        actor=by,
        core_outcome_set=revision.core_outcome_set,
        before={"number": revision.number, "status": Status.PROPOSED},
        after={"number": revision.number, "status": Status.REVIEWED, "outcome": str(revision.outcome_identity)},
    )
    return revision
