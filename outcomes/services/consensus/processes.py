"""Setting up a consensus process (settings, stakeholder groups), then finalising and publishing its result."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from outcomes.models import (
    ConsensusProcess,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Item,
    ItemResult,
    Measurement,
    Outcome,
    Round,
    StakeholderGroup,
)
from outcomes.models.consensus import DEFAULT_STAKEHOLDER_GROUPS
from outcomes.selectors.consensus import item_latest_results
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import Process, VersionStatus, _refuse_once_finalised
from outcomes.services.consensus.translations import outcome_translations_copy, process_languages_problem
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.versions import version_consensus_start, version_draft_create, version_publish

DEFINITION_FIELDS = (
    "rule_scope",
    "in_high_min_pct",
    "in_low_max_pct",
    "out_low_min_pct",
    "out_high_max_pct",
    "meeting_include_min_pct",
)
SETTING_FIELDS = (
    "title",
    "description",
    "consent_text",
    "next_round_invitees",
    "carry_forward",
    "reminder_days_before_close",
    "invitation_valid_days",
    "languages",
)


@transaction.atomic
def process_create(
    *,
    core_outcome_set: CoreOutcomeSet,
    title: str,
    by: AbstractBaseUser | None,
    facilitators: Iterable[AbstractBaseUser] = (),
    description: str = "",
    seed_from_published: bool = True,
    is_demo: bool = False,
) -> ConsensusProcess:
    """Create a process and the draft version of the set it builds.

    1. Lock the set, then create its next version through the version lifecycle (a draft copy of the published
       version, or a first 1.0.0) and move it "in consensus".
    2. Create the process with the default stakeholder groups and its facilitators: whoever creates it (a curator,
       on the page or through the API) facilitates it, with any co-facilitators named.
    3. For an update, seed the candidate list with the published version's outcomes.
    """
    cos = CoreOutcomeSet.objects.select_for_update(of=("self",)).get(pk=core_outcome_set.pk)
    if not title.strip():
        raise _refuse("title", "A process needs a title.")
    if cos.versions.filter(status__in=[VersionStatus.DRAFT, VersionStatus.IN_CONSENSUS]).exists():
        raise _refuse("core_outcome_set", "This set already has a draft version; finish or remove it first.")
    published = cos.versions.filter(status=VersionStatus.PUBLISHED).first()
    if published is not None:
        # An update: a draft copy of the published version (same outcome identities, measurements, references);
        # its number is provisional and fixed at publication by the version lifecycle.
        version = version_draft_create(from_version=published, by=by)
    else:
        version = CoreOutcomeSetVersion.objects.create(core_outcome_set=cos, version="1.0.0")
    version.changelog = f"Agreed through the consensus process '{title.strip()}'."
    version.save(update_fields=["changelog", "updated_at"])
    version = version_consensus_start(version=version, by=by)
    process = ConsensusProcess.objects.create(
        core_outcome_set=cos,
        draft_version=version,
        title=title.strip(),
        description=description,
        created_by=by if by is not None and by.is_authenticated else None,
        is_demo=is_demo,
    )
    StakeholderGroup.objects.bulk_create(
        StakeholderGroup(process=process, name=name, order=i) for i, name in enumerate(DEFAULT_STAKEHOLDER_GROUPS)
    )
    creator = [by] if by is not None and by.is_authenticated else []
    process.facilitators.set({*facilitators, *creator})
    if seed_from_published and published is not None:
        for order, outcome in enumerate(version.outcomes.prefetch_related("domains")):
            item = Item.objects.create(
                process=process, name=outcome.name, definition=outcome.definition or outcome.note, order=order
            )
            item.domains.set(outcome.domains.all())
    audit_record(
        action="consensus.process_create",
        obj=process,
        actor=by,
        process=process,
        core_outcome_set=cos,
        after={"title": process.title, "version": version.version},
    )
    return process


@transaction.atomic
def process_update(*, process: ConsensusProcess, by: AbstractBaseUser | None, **fields) -> ConsensusProcess:
    """Change settings and the consensus definition. The definition is pre-specified: locked once round 1 opens."""
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=process.pk)
    # The report of a finalised or published process (public once published) shows its title and method.
    _refuse_once_finalised(process, "its definition and settings")
    unknown = set(fields) - set(DEFINITION_FIELDS) - set(SETTING_FIELDS)
    if unknown:
        raise _refuse(sorted(unknown)[0], "Not a setting of a consensus process.")
    changed = {name: value for name, value in fields.items() if getattr(process, name) != value}
    locked = [name for name in changed if name in DEFINITION_FIELDS]
    if locked and process.definition_locked:
        raise ValidationError(
            {name: "The consensus definition is locked: round 1 has opened (pre-specification)." for name in locked}
        )
    errors = {}
    for name in ("in_high_min_pct", "in_low_max_pct", "out_low_min_pct", "out_high_max_pct", "meeting_include_min_pct"):
        value = changed.get(name)
        if value is not None and not (isinstance(value, int) and 1 <= value <= 100):
            errors[name] = "Must be a whole percentage from 1 to 100."
    if "rule_scope" in changed and changed["rule_scope"] not in Process.RuleScope.values:
        errors["rule_scope"] = "Unknown rule scope."
    if "next_round_invitees" in changed and changed["next_round_invitees"] not in Process.Invitees.values:
        errors["next_round_invitees"] = "Unknown choice."
    if "carry_forward" in changed and changed["carry_forward"] not in Process.CarryForward.values:
        errors["carry_forward"] = "Unknown choice."
    if "invitation_valid_days" in changed and not (1 <= int(changed["invitation_valid_days"]) <= 365):
        errors["invitation_valid_days"] = "Must be from 1 to 365 days."
    if "languages" in changed:
        problem = process_languages_problem(changed["languages"])
        dropped = set(process.languages) - set(changed["languages"] if problem is None else [])
        if problem is None and process.panelists.filter(language__in=dropped).exists():
            problem = "A panelist reads the panel in a language you removed; keep it or ask them to switch first."
        if problem:
            errors["languages"] = problem
    if "title" in changed and not str(changed["title"]).strip():
        errors["title"] = "A process needs a title."
    if errors:
        raise ValidationError(errors)
    if not changed:
        return process
    before = {name: getattr(process, name) for name in changed}
    for name, value in changed.items():
        setattr(process, name, value)
    process.save(update_fields=list(changed))
    audit_record(
        action="consensus.process_update", obj=process, actor=by, process=process, before=before, after=changed
    )
    return process


@transaction.atomic
def group_create(*, process: ConsensusProcess, name: str, by: AbstractBaseUser | None) -> StakeholderGroup:
    _refuse_once_finalised(process, "the stakeholder groups")
    name = name.strip()
    if not name:
        raise _refuse("name", "A stakeholder group needs a name.")
    if process.groups.filter(name__iexact=name).exists():
        raise _refuse("name", f"There is already a group called {name!r}.")
    order = (process.groups.aggregate(m=Max("order"))["m"] or 0) + 1
    group = StakeholderGroup.objects.create(process=process, name=name, order=order)
    audit_record(action="consensus.group_create", obj=group, actor=by, process=process, after={"name": name})
    return group


@transaction.atomic
def group_update(*, group: StakeholderGroup, name: str, by: AbstractBaseUser | None) -> StakeholderGroup:
    # The report of a finalised or published process shows participation per group under these names.
    _refuse_once_finalised(group.process, "the stakeholder groups")
    name = name.strip()
    if not name:
        raise _refuse("name", "A stakeholder group needs a name.")
    if group.process.groups.filter(name__iexact=name).exclude(pk=group.pk).exists():
        raise _refuse("name", f"There is already a group called {name!r}.")
    before = {"name": group.name}
    group.name = name
    group.save(update_fields=["name"])
    audit_record(
        action="consensus.group_update", obj=group, actor=by, process=group.process, before=before, after={"name": name}
    )
    return group


@transaction.atomic
def group_delete(*, group: StakeholderGroup, by: AbstractBaseUser | None) -> None:
    _refuse_once_finalised(group.process, "the stakeholder groups")
    # Lock the row first: a panelist choosing this group at the same moment holds a key-share lock on it (the
    # foreign key check), so we wait for that choice to commit and then see the panelist below.
    group = StakeholderGroup.objects.select_for_update(of=("self",)).select_related("process").get(pk=group.pk)
    # A group's results belong to its panelists, who cannot change group once they have rated
    # (panelist_consent): refusing a group with panelists also keeps every tallied result.
    if group.panelists.exists():
        raise _refuse("group", "This group has panelists; move them before removing it.")
    audit_record(
        action="consensus.group_delete", obj=group, actor=by, process=group.process, before={"name": group.name}
    )
    group.delete()


@transaction.atomic
def process_finalise(*, process: ConsensusProcess, by: AbstractBaseUser | None) -> CoreOutcomeSetVersion:
    """Build the draft version's outcomes from what the panel agreed.

    1. Every round is closed and tallied (tallying now any round whose task has not run yet).
    2. An outcome item belongs in the set when its result in the LAST round it was rated in (a later round,
       including the meeting, overrides an earlier one) is "consensus in". That result is the outcome's evidence.
    3. A definition item with consensus in gives the outcome its definition (definition_agreed); an instrument
       item gives a measurement (measurement_agreed); an alternatives item contributes its winning option.
    4. Outcomes keep the identity of the same-named outcome in the version this one derives from.
    """
    from outcomes.services.tally import round_tally

    process = (
        ConsensusProcess.objects.select_for_update(of=("self",)).select_related("draft_version").get(pk=process.pk)
    )
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("status", "The process is already finalised.")
    if process.rounds.exclude(status=Round.Status.CLOSED).exists():
        raise _refuse("status", "Close (or remove) every round before finalising.")
    if not process.rounds.exists():
        raise _refuse("status", "No round has been run.")
    for round_ in process.rounds.filter(tallied_at__isnull=True):
        round_tally(round=round_)
    version = process.draft_version
    if version.is_frozen:
        raise _refuse("status", "The draft version is already published.")
    latest = item_latest_results(process)
    items = {i.pk: i for i in process.items.prefetch_related("domains", "options__instrument")}
    # The draft starts as a copy of the published version: an agreed outcome of the same name keeps its row
    # (identity, measurements, note); outcomes the panel did not agree are removed.
    existing = {o.name.lower(): o for o in version.outcomes.all()}
    identities = {}
    if version.derived_from_id:
        identities = {o.name.lower(): o.identity for o in version.derived_from.outcomes.all()}
    IN = ItemResult.Classification.IN
    outcomes: dict[int, Outcome] = {}
    for order, item in enumerate(i for i in items.values() if i.kind == Item.Kind.OUTCOME):
        result = latest.get(item.pk)
        if result is None or result.classification != IN:
            continue
        outcome = existing.pop(item.name.lower(), None)
        if outcome is None:
            outcome = Outcome.objects.create(
                version=version,
                name=item.name,
                definition=item.definition,
                identity=identities.get(item.name.lower()) or Outcome._meta.get_field("identity").default(),
                evidence=result,
                order=order,
            )
        else:
            outcome.evidence, outcome.order = result, order
            outcome.save(update_fields=["evidence", "order"])
        outcome.domains.set(item.domains.all())
        outcomes[item.pk] = outcome
    Outcome.objects.filter(pk__in=[o.pk for o in existing.values()]).delete()
    for item in items.values():
        if item.kind == Item.Kind.OUTCOME or item.outcome_item_id not in outcomes:
            continue
        result = latest.get(item.pk)
        if result is None or result.classification != IN:
            continue
        outcome = outcomes[item.outcome_item_id]
        definition, instrument = item.definition, item.instrument
        if item.kind == Item.Kind.ALTERNATIVES:
            option = next((o for o in item.options.all() if o.pk == result.distribution.get("winner")), None)
            if option is None:
                continue
            definition, instrument = option.definition, option.instrument
        if item.kind in (Item.Kind.DEFINITION, Item.Kind.ALTERNATIVES) and definition:
            outcome.definition = definition
            outcome.definition_agreed = True
        if item.kind in (Item.Kind.INSTRUMENT, Item.Kind.ALTERNATIVES) and instrument is not None:
            # The draft may already hold it (copied from the published version): agreeing it again adds no twin.
            Measurement.objects.get_or_create(outcome=outcome, instrument=instrument, timing=item.timing)
            outcome.measurement_agreed = True
        outcome.save(update_fields=["definition", "definition_agreed", "measurement_agreed"])
    if not outcomes:
        raise _refuse("status", "No outcome reached consensus in; there is nothing to publish.")
    process.status = Process.Status.FINALISED
    process.finalised_at = timezone.now()
    process.save(update_fields=["status", "finalised_at"])
    # The published version carries the reviewed translations of the outcomes' names (and unchanged definitions).
    outcome_translations_copy(version=version, process=process)
    audit_record(
        action="consensus.process_finalise",
        obj=process,
        actor=by,
        process=process,
        core_outcome_set=process.core_outcome_set,
        after={"outcomes": len(outcomes), "version": version.version},
    )
    return version


@transaction.atomic
def process_publish(*, process: ConsensusProcess, by: AbstractBaseUser | None) -> CoreOutcomeSetVersion:
    """Publish the finalised draft through the version lifecycle: the one way a consensus result is published
    (version_publish refuses the version otherwise). Facilitators of the process publish it (docs/consensus.md)."""
    process = (
        ConsensusProcess.objects.select_for_update(of=("self",)).select_related("draft_version").get(pk=process.pk)
    )
    if process.status != Process.Status.FINALISED:
        raise _refuse("status", "Finalise the process before publishing.")
    version = version_publish(version=process.draft_version, by=by, process=process)
    process.status = Process.Status.PUBLISHED
    process.save(update_fields=["status"])
    audit_record(
        action="consensus.process_publish",
        obj=process,
        actor=by,
        process=process,
        core_outcome_set=process.core_outcome_set,
        after={"version": version.version},
    )
    return version
