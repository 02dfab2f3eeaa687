"""The consensus workflow: set up a process, run Delphi rounds and a meeting, finalise and publish.

Every function is one state change in one transaction, audited. Refusals raise ValidationError with a
field-keyed message dict and leave nothing written. docs/consensus.md explains the method.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from outcomes.models import (
    ConsensusProcess,
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Item,
    ItemOption,
    ItemResult,
    Measurement,
    Outcome,
    OutcomeDomain,
    Panelist,
    Participation,
    Rating,
    Round,
    RoundItem,
    StakeholderGroup,
    Suggestion,
)
from outcomes.models.consensus import DEFAULT_STAKEHOLDER_GROUPS
from outcomes.services.audit import audit_record
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.outbox import task_enqueue
from outcomes.services.sql import db_datetime, rows_insert
from outcomes.services.versions import version_consensus_start, version_draft_create, version_publish

Process = ConsensusProcess
VersionStatus = CoreOutcomeSetVersion.Status

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
)

# PostgreSQL cannot store a NUL in text: free text that did not pass a form or serializer field (which refuse it)
# is checked here, so that it is a message naming the field, not a 500.
NUL = "\x00"
CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 2_000


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- Setting up a process -------------------------------------------------------------------------------------


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


def _domains_by_number(numbers: Sequence[int]) -> list[OutcomeDomain]:
    domains = list(OutcomeDomain.objects.filter(number__in=numbers))
    missing = sorted(set(numbers) - {d.number for d in domains})
    if missing:
        raise _refuse("domains", f"Unknown COMET domain number(s): {', '.join(map(str, missing))}.")
    return domains


def _refuse_once_finalised(process: ConsensusProcess, what: str) -> None:
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("process", f"The process is {process.get_status_display().lower()}: {what} can no longer change.")


@dataclass(frozen=True)
class OptionInput:
    """One alternative of an alternatives item: a label, and the definition and/or instrument it stands for."""

    label: str
    definition: str = ""
    instrument: Instrument | None = None


def _item_kind_problems(
    *, kind: str, has_outcome_item: bool, instrument: Instrument | None, timing: str, options: Sequence[OptionInput]
) -> dict[str, str]:
    """What each kind of item needs (one rule for the API, the page and the CSV import):
    - outcome: nothing of the below; definition, instrument, alternatives: the candidate outcome they are about;
    - instrument: an instrument of the registry, and optionally when it is measured (timing);
    - alternatives: at least two options with distinct labels (each may name an instrument), optionally a timing.
    """
    problems: dict[str, str] = {}
    if kind not in Item.Kind.values:
        return {"kind": "Unknown kind of item."}
    if kind != Item.Kind.OUTCOME and not has_outcome_item:
        problems["outcome_item"] = "A definition, instrument or alternatives item names an outcome of this process."
    elif kind == Item.Kind.OUTCOME and has_outcome_item:
        problems["outcome_item"] = "A candidate outcome is about no other outcome; leave outcome_item empty."
    if kind == Item.Kind.INSTRUMENT and instrument is None:
        problems["instrument"] = "An instrument item names an instrument of the registry (its acronym)."
    elif kind != Item.Kind.INSTRUMENT and instrument is not None:
        problems["instrument"] = "Only instrument items name an instrument (options of alternatives may name one)."
    if timing and kind not in (Item.Kind.INSTRUMENT, Item.Kind.ALTERNATIVES):
        problems["timing"] = "Only instrument and alternatives items have a timing."
    elif len(timing) > 300:
        problems["timing"] = "At most 300 characters."
    if kind != Item.Kind.ALTERNATIVES:
        if options:
            problems["options"] = "Only alternatives items have options."
        return problems
    labels = [option.label.strip() for option in options]
    if len(options) < 2:
        problems["options"] = "Alternatives need at least two options."
    elif any(not label for label in labels):
        problems["options"] = "Every option needs a label."
    elif any(len(label) > 300 for label in labels):
        problems["options"] = "An option's label has at most 300 characters."
    elif len({label.lower() for label in labels}) < len(labels):
        problems["options"] = "Two options have the same label."
    return problems


@transaction.atomic
def item_create(
    *,
    process: ConsensusProcess,
    name: str,
    by: AbstractBaseUser | None,
    definition: str = "",
    domain_numbers: Sequence[int] = (),
    kind: str = Item.Kind.OUTCOME,
    outcome_item: Item | None = None,
    instrument: Instrument | None = None,
    timing: str = "",
    options: Sequence[OptionInput] = (),
    source: str = Item.Source.CANDIDATE,
) -> Item:
    """Add a candidate: an outcome, or a definition/instrument/alternatives item about an outcome item."""
    _refuse_once_finalised(process, "the candidate list")
    name, timing = name.strip(), timing.strip()
    errors = _item_kind_problems(
        kind=kind,
        has_outcome_item=outcome_item is not None,
        instrument=instrument,
        timing=timing,
        options=options,
    )
    if not name:
        errors["name"] = "A candidate needs a name."
    elif len(name) > 300:
        errors["name"] = "At most 300 characters."
    elif kind == Item.Kind.OUTCOME and process.items.filter(kind=kind, name__iexact=name).exists():
        errors["name"] = f"There is already a candidate outcome called {name!r}."
    if outcome_item is not None and "outcome_item" not in errors:
        if outcome_item.process_id != process.pk:
            errors["outcome_item"] = "A definition, instrument or alternatives item names an outcome of this process."
        elif outcome_item.kind != Item.Kind.OUTCOME:
            errors["outcome_item"] = "Name a candidate outcome, not a definition, instrument or alternatives item."
    if errors:
        raise ValidationError(errors)
    domains = _domains_by_number(domain_numbers) if domain_numbers else []
    order = (process.items.aggregate(m=Max("order"))["m"] or 0) + 1
    item = Item.objects.create(
        process=process,
        kind=kind,
        name=name,
        definition=definition.strip(),
        outcome_item=outcome_item if kind != Item.Kind.OUTCOME else None,
        instrument=instrument,
        timing=timing,
        source=source,
        order=order,
    )
    item.domains.set(domains)
    ItemOption.objects.bulk_create(
        ItemOption(
            item=item,
            label=option.label.strip(),
            definition=option.definition.strip(),
            instrument=option.instrument,
            order=i,
        )
        for i, option in enumerate(options)
    )
    audit_record(
        action="consensus.item_create",
        obj=item,
        actor=by,
        process=process,
        after={
            "name": name,
            "kind": kind,
            **({"instrument": instrument.acronym} if instrument is not None else {}),
            **({"options": [option.label.strip() for option in options]} if options else {}),
        },
    )
    return item


def item_was_rated(item: Item) -> bool:
    """Whether the item has been in an opened round: its wording is then what panelists rated."""
    return item.round_items.exclude(round__status=Round.Status.DRAFT).exists()


@transaction.atomic
def item_update(
    *,
    item: Item,
    by: AbstractBaseUser | None,
    name: str | None = None,
    definition: str | None = None,
    domain_numbers: Sequence[int] | None = None,
) -> Item:
    """Edit a candidate. Once it has been in an opened round its wording is what panelists rated: refuse."""
    _refuse_once_finalised(item.process, "the candidate list")
    if item_was_rated(item):
        raise _refuse("item", "This item has been rated; add a new item instead of changing what was rated.")
    before = {"name": item.name, "definition": item.definition}
    if name is not None:
        name = name.strip()
        if not name:
            raise _refuse("name", "A candidate needs a name.")
        if item.process.items.filter(kind=item.kind, name__iexact=name).exclude(pk=item.pk).exists():
            raise _refuse("name", f"There is already a candidate called {name!r}.")
        item.name = name
    if definition is not None:
        item.definition = definition.strip()
    item.save()
    if domain_numbers is not None:
        item.domains.set(_domains_by_number(domain_numbers))
    audit_record(
        action="consensus.item_update",
        obj=item,
        actor=by,
        process=item.process,
        before=before,
        after={"name": item.name, "definition": item.definition},
    )
    return item


class CsvImportError(ValidationError):
    """A candidate file with problems: every bad row, by line number. Nothing was imported."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        super().__init__([f"Line {line}: {message}" if line else message for line, message in problems])


_NAME_HEADERS = {"name", "outcome", "outcome name"}
_DEFINITION_HEADERS = {"definition", "description"}
_DOMAIN_HEADERS = {"domain", "domains", "comet domain", "comet domains"}
_KIND_HEADERS = {"kind"}
_OUTCOME_ITEM_HEADERS = {"outcome item", "about"}
_INSTRUMENT_HEADERS = {"instrument"}
_TIMING_HEADERS = {"timing"}
CSV_MAX_OPTIONS = 20  # option 1 ... option 20


def _decode_csv(data: bytes) -> str:
    if len(data) > CSV_MAX_BYTES:
        raise CsvImportError([(0, f"The file is larger than {CSV_MAX_BYTES // 1000} kB; split it.")])
    if not data.strip():
        raise CsvImportError([(0, "The file is empty.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvImportError([(line, "is not UTF-8 text. Save the file as 'CSV UTF-8' and import it again.")]) from None


@dataclass
class _CsvRow:
    line: int
    name: str
    definition: str
    domains: list[OutcomeDomain]
    kind: str = Item.Kind.OUTCOME
    outcome_name: str = ""
    instrument: Instrument | None = None
    timing: str = ""
    options: list[OptionInput] = field(default_factory=list)


def _as_clause(message: str) -> str:
    """A service message ("Only instrument items have a timing.") as part of a CSV line's list of problems."""
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


@transaction.atomic
def candidates_import_csv(*, process: ConsensusProcess, data: bytes, by: AbstractBaseUser | None) -> list[Item]:
    """Import candidates from CSV. docs/consensus.md, "Importing candidates", defines the columns: name, definition,
    domains ("3; 9"); and for definition, instrument and alternatives items kind, outcome_item (the name of a
    candidate outcome of the process or of the file), instrument (an acronym), timing, option 1, option 1 definition,
    option 1 instrument, option 2, ...

    1. Decode (UTF-8, size-limited) and find the columns by their header (case and "_" or " " do not matter).
    2. Check EVERY row, collecting each problem with its line number; an item's kind rules are item_create's.
    3. Only if there is no problem, create the outcomes, then the items about them; otherwise raise CsvImportError
       and create nothing.
    """
    _refuse_once_finalised(process, "the candidate list")
    text = _decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CsvImportError([(1, f"cannot read the header row ({exc}).")]) from None
    if any(NUL in value for value in header):
        raise CsvImportError([(1, "the header row contains a NUL character.")])
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        columns.setdefault(" ".join(h.strip().lower().replace("_", " ").split()), i)

    def column(names: set[str]) -> int | None:
        return next((columns[n] for n in sorted(names) if n in columns), None)

    name_col, definition_col, domain_col = column(_NAME_HEADERS), column(_DEFINITION_HEADERS), column(_DOMAIN_HEADERS)
    if name_col is None or domain_col is None:
        raise CsvImportError([(1, "the header must name the columns 'name', 'definition' and 'domains'.")])
    kind_col, about_col = column(_KIND_HEADERS), column(_OUTCOME_ITEM_HEADERS)
    instrument_col, timing_col = column(_INSTRUMENT_HEADERS), column(_TIMING_HEADERS)
    option_cols = [
        (columns[f"option {n}"], columns.get(f"option {n} definition"), columns.get(f"option {n} instrument"))
        for n in range(1, CSV_MAX_OPTIONS + 1)
        if f"option {n}" in columns
    ]
    known_domains = {d.number: d for d in OutcomeDomain.objects.all()}
    instruments = {i.acronym: i for i in Instrument.objects.all()}
    existing = {
        name.lower(): item_id
        for item_id, name in process.items.filter(kind=Item.Kind.OUTCOME).values_list("id", "name")
    }
    problems: list[tuple[int, str]] = []
    rows: list[_CsvRow] = []
    seen: dict[str, int] = {}
    line = 1

    def cell(cells: list[str], col: int | None) -> str:
        return cells[col].strip() if col is not None else ""

    def instrument_of(acronym: str, row_problems: list[str]) -> Instrument | None:
        if not acronym:
            return None
        if acronym not in instruments:
            row_problems.append(f"{acronym!r} is not the acronym of an instrument of the registry")
        return instruments.get(acronym)

    try:
        for record in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) + len(problems) >= CSV_MAX_ROWS:
                problems.append((start, f"more than {CSV_MAX_ROWS} rows; split the file."))
                break
            cells = record + [""] * (len(header) - len(record))
            name = cell(cells, name_col)
            kind = cell(cells, kind_col).lower() or Item.Kind.OUTCOME
            raw_domains = [
                part.strip() for part in cell(cells, domain_col).replace(",", ";").split(";") if part.strip()
            ]
            row_problems = [
                f"the {header[i].strip()!r} column contains a NUL character" if i < len(header) else "a NUL character"
                for i, value in enumerate(record)
                if NUL in value
            ]
            if not name:
                row_problems.append("the name is empty")
            elif len(name) > 300:
                row_problems.append("the name is longer than 300 characters")
            elif kind == Item.Kind.OUTCOME and name.lower() in existing:
                row_problems.append(f"{name!r} is already a candidate of this process")
            elif kind == Item.Kind.OUTCOME and name.lower() in seen:
                row_problems.append(f"{name!r} repeats line {seen[name.lower()]}")
            if not raw_domains and kind == Item.Kind.OUTCOME:
                row_problems.append("no COMET domain number")
            domains = []
            for raw in raw_domains:
                if not raw.isdecimal() or int(raw) not in known_domains:
                    row_problems.append(f"{raw!r} is not a COMET domain number (1-38)")
                else:
                    domains.append(known_domains[int(raw)])
            options = [
                OptionInput(
                    label=cell(cells, label_col),
                    definition=cell(cells, definition_col_),
                    instrument=instrument_of(cell(cells, instrument_col_), row_problems),
                )
                for label_col, definition_col_, instrument_col_ in option_cols
                if any(cell(cells, col) for col in (label_col, definition_col_, instrument_col_))
            ]
            row = _CsvRow(
                line=start,
                name=name,
                definition=cell(cells, definition_col),
                domains=domains,
                kind=kind,
                outcome_name=cell(cells, about_col),
                instrument=instrument_of(cell(cells, instrument_col), row_problems),
                timing=cell(cells, timing_col),
                options=options,
            )
            kind_problems = _item_kind_problems(
                kind=kind,
                has_outcome_item=bool(row.outcome_name),
                instrument=row.instrument,
                timing=row.timing,
                options=options,
            )
            # An acronym that names no instrument was reported above; do not also say that the instrument is missing.
            if kind_problems.get("instrument") and any("not the acronym" in p for p in row_problems):
                del kind_problems["instrument"]
            row_problems.extend(_as_clause(message) for message in kind_problems.values())
            if row_problems:
                problems.append((start, "; ".join(row_problems) + "."))
            else:
                if kind == Item.Kind.OUTCOME:
                    seen[name.lower()] = start
                rows.append(row)
    except csv.Error as exc:
        problems.append((line + 1, f"cannot be read as CSV ({exc})."))
    for row in rows:
        if row.kind != Item.Kind.OUTCOME and row.outcome_name.lower() not in existing.keys() | seen.keys():
            problems.append(
                (row.line, f"{row.outcome_name!r} is not a candidate outcome of this process or this file.")
            )
    if problems:
        raise CsvImportError(sorted(problems))
    if not rows:
        raise CsvImportError([(0, "The file has a header but no candidate rows.")])
    outcome_rows = [row for row in rows if row.kind == Item.Kind.OUTCOME]
    order = process.items.aggregate(m=Max("order"))["m"] or 0
    outcomes = Item.objects.bulk_create(
        Item(process=process, name=row.name, definition=row.definition, order=order + i + 1)
        for i, row in enumerate(outcome_rows)
    )
    Through = Item.domains.through
    Through.objects.bulk_create(
        Through(item_id=item.pk, outcomedomain_id=domain.pk)
        for item, row in zip(outcomes, outcome_rows, strict=True)
        for domain in row.domains
    )
    by_name = {item.name.lower(): item for item in outcomes}
    by_name.update({name: Item(pk=pk, process=process, kind=Item.Kind.OUTCOME) for name, pk in existing.items()})
    details = [
        item_create(
            process=process,
            name=row.name,
            definition=row.definition,
            domain_numbers=[d.number for d in row.domains],
            kind=row.kind,
            outcome_item=by_name[row.outcome_name.lower()],
            instrument=row.instrument,
            timing=row.timing,
            options=row.options,
            by=by,
        )
        for row in rows
        if row.kind != Item.Kind.OUTCOME
    ]
    audit_record(
        action="consensus.candidates_import",
        obj=process,
        actor=by,
        process=process,
        after={"created": len(outcomes) + len(details)},
    )
    return [*outcomes, *details]


# --- Panelists -------------------------------------------------------------------------------------------------


class PanelistTokenError(Exception):
    """A personal link that is unknown, expired or revoked."""


def panelist_authenticate(*, token: str) -> Panelist:
    """The panelist a personal link belongs to, or PanelistTokenError with a message a panelist can act on."""
    if not token or len(token) > 200:
        raise PanelistTokenError("This link is not valid.")
    panelist = Panelist.objects.select_related("process", "group").filter(token_hash=token_hash(token)).first()
    if panelist is None:
        raise PanelistTokenError("This link is not valid. It may have been replaced by a newer invitation.")
    panelist_check_active(panelist)
    return panelist


def panelist_check_active(panelist: Panelist) -> None:
    if panelist.token_revoked_at is not None:
        raise PanelistTokenError("This link has been revoked. Please contact the facilitator of the panel.")
    if panelist.token_expires_at <= timezone.now():
        raise PanelistTokenError("This link has expired. Please ask the facilitator for a new invitation.")


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
    process = panelist.process
    body = (
        f"Dear {panelist.name or 'panelist'},\n\n"
        f'You are invited to take part in the consensus study "{process.title}", which agrees the core outcome '
        f'set "{process.core_outcome_set.title}".\n\n'
        f"Your personal link (please do not share it; no account is needed):\n{panelist_link(token)}\n\n"
        f"The link is valid until {panelist.token_expires_at:%d %B %Y}. It leads to information about the study, "
        "the consent form and the survey rounds.\n\nThank you."
    )
    send_mail(f"Invitation: {process.title}", body, None, [panelist.email])


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
def panelist_consent(*, panelist: Panelist, group: StakeholderGroup | None) -> Panelist:
    """Record consent and the panelist's stakeholder group (chosen now, or confirmed if the facilitator set it)."""
    panelist = Panelist.objects.select_for_update(of=("self",)).get(pk=panelist.pk)
    panelist_check_active_or_refuse(panelist)
    group = group or panelist.group
    if group is None:
        raise _refuse("group", "Choose the stakeholder group you belong to.")
    if group.process_id != panelist.process_id:
        raise _refuse("group", "Choose one of this study's stakeholder groups.")
    if panelist.group_id not in (None, group.pk) and panelist.ratings.exists():
        raise _refuse("group", "You have already rated as a member of another group; ask the facilitator.")
    panelist.group = group
    panelist.consented_at = panelist.consented_at or timezone.now()
    panelist.save(update_fields=["group", "consented_at"])
    audit_record(
        action="consensus.panelist_consent",
        obj=panelist,
        actor_label=panelist.code,
        process=panelist.process,
        after={"group": group.name},
    )
    return panelist


def panelist_check_active_or_refuse(panelist: Panelist) -> None:
    try:
        panelist_check_active(panelist)
    except PanelistTokenError as exc:
        raise _refuse("token", str(exc)) from None


# --- Rounds ----------------------------------------------------------------------------------------------------


def _lock_round(round_: Round, *, shared: bool) -> Round:
    """Lock the round row. Submissions take a shared lock (they run side by side); closing takes an exclusive
    one, so a submission either commits before the close or sees the round closed. SQLite locks the whole file."""
    if shared and connection.vendor == "postgresql":
        # One query: the row as it is once we hold the lock (Django's select_for_update has no FOR SHARE).
        table = connection.ops.quote_name(Round._meta.db_table)
        return Round.objects.raw(f"SELECT * FROM {table} WHERE id = %s FOR SHARE", [round_.pk])[0]  # noqa: S608
    return Round.objects.select_for_update(of=("self",)).select_related("process").get(pk=round_.pk)


def _latest_results(process: ConsensusProcess) -> dict[int, ItemResult]:
    """Each item's overall result from the latest closed round it was in."""
    results = (
        ItemResult.objects.filter(
            round_item__round__process=process, round_item__round__status=Round.Status.CLOSED, group__isnull=True
        )
        .select_related("round_item__round", "round_item__item")
        .order_by("round_item__round__number")
    )
    return {r.round_item.item_id: r for r in results}


@transaction.atomic
def round_create(
    *,
    process: ConsensusProcess,
    by: AbstractBaseUser | None,
    kind: str = Round.Kind.DELPHI,
    closes_at: dt.datetime | None = None,
    allow_suggestions: bool | None = None,
    item_ids: Sequence[int] | None = None,
) -> Round:
    """Create the next round (a draft) with its items.

    Round 1 holds every candidate. A later Delphi round holds the previous round's items the process carries
    forward (all, or those without consensus) plus items never rated yet (accepted suggestions). A meeting
    round holds the items without consensus in. `item_ids` overrides the choice.
    """
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=process.pk)
    if process.status in (Process.Status.FINALISED, Process.Status.PUBLISHED):
        raise _refuse("process", "The process is finalised.")
    previous = process.rounds.order_by("-number").first()
    if previous is not None and previous.status != Round.Status.CLOSED:
        raise _refuse("round", f"Round {previous.number} must be closed before the next one is created.")
    if previous is not None and previous.kind == Round.Kind.MEETING:
        raise _refuse("round", "The consensus meeting was the last round; finalise the process.")
    if closes_at is not None and closes_at <= timezone.now():
        raise _refuse("closes_at", "The closing date must be in the future.")
    outcome_items = process.items.all()
    if item_ids is not None:
        items = list(outcome_items.filter(pk__in=item_ids))
        if len(items) != len(set(item_ids)):
            raise _refuse("item_ids", "Every item must be a candidate of this process.")
    elif previous is None:
        items = list(outcome_items)
    else:
        if previous.tallied_at is None:
            from outcomes.services.tally import round_tally

            round_tally(round=previous)
        latest = _latest_results(process)
        previous_items = set(previous.round_items.values_list("item_id", flat=True))
        never_rated = set(outcome_items.filter(round_items__isnull=True).values_list("pk", flat=True))
        if kind == Round.Kind.MEETING:
            chosen = {pk for pk, r in latest.items() if r.classification != ItemResult.Classification.IN}
        elif process.carry_forward == Process.CarryForward.NO_CONSENSUS:
            chosen = {
                pk
                for pk in previous_items
                if pk not in latest or latest[pk].classification == ItemResult.Classification.NONE
            }
        else:
            chosen = previous_items
        items = list(outcome_items.filter(pk__in=chosen | never_rated))
    if not items:
        raise _refuse("item_ids", "The round would have no items to rate.")
    number = (previous.number + 1) if previous else 1
    round_ = Round.objects.create(
        process=process,
        number=number,
        kind=kind,
        closes_at=closes_at,
        allow_suggestions=(number == 1) if allow_suggestions is None else allow_suggestions,
    )
    RoundItem.objects.bulk_create(RoundItem(round=round_, item=item, order=i) for i, item in enumerate(items))
    audit_record(
        action="consensus.round_create",
        obj=round_,
        actor=by,
        process=process,
        after={"number": number, "kind": kind, "items": len(items)},
    )
    return round_


@transaction.atomic
def round_open(*, round: Round, by: AbstractBaseUser | None) -> Round:
    """Open a draft round and invite its participants. Opening round 1 locks the consensus definition.

    Participants: round 1 and meeting-less "all" processes invite every active panelist; otherwise only those who
    completed the previous round (ConsensusProcess.next_round_invitees).
    """
    round_ = _lock_round(round, shared=False)
    process = ConsensusProcess.objects.select_for_update(of=("self",)).get(pk=round_.process_id)
    if round_.status != Round.Status.DRAFT:
        raise _refuse("status", f"Round {round_.number} is {round_.get_status_display().lower()}, not a draft.")
    if process.rounds.filter(status=Round.Status.OPEN).exists():
        raise _refuse("status", "Another round is open; close it first.")
    if round_.closes_at is not None and round_.closes_at <= timezone.now():
        raise _refuse("closes_at", "The closing date has passed; set a later one.")
    now = timezone.now()
    panelists = process.panelists.filter(token_revoked_at__isnull=True)
    previous = process.rounds.filter(number=round_.number - 1).first()
    if previous is not None and process.next_round_invitees == Process.Invitees.COMPLETED_PREVIOUS:
        panelists = panelists.filter(participations__round=previous, participations__completed_at__isnull=False)
    Participation.objects.bulk_create(
        [Participation(round=round_, panelist_id=pk, invited_at=now) for pk in panelists.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    round_.status = Round.Status.OPEN
    round_.opened_at = now
    round_.opens_at = round_.opens_at or now
    round_.save(update_fields=["status", "opened_at", "opens_at"])
    if process.definition_locked_at is None:
        process.definition_locked_at = now
    process.status = Process.Status.MEETING if round_.kind == Round.Kind.MEETING else Process.Status.RUNNING
    process.save(update_fields=["definition_locked_at", "status"])
    audit_record(action="consensus.round_open", obj=round_, actor=by, process=process, after={"number": round_.number})
    return round_


@transaction.atomic
def round_close(*, round: Round, by: AbstractBaseUser | None) -> Round:
    """Close an open round (waiting for submissions in flight), then tally it in a Celery task."""
    round_ = _lock_round(round, shared=False)
    if round_.status != Round.Status.OPEN:
        raise _refuse("status", f"Round {round_.number} is not open.")
    round_.status = Round.Status.CLOSED
    round_.closed_at = timezone.now()
    round_.save(update_fields=["status", "closed_at"])
    task_enqueue(task_name="outcomes.tasks.round_tally", kwargs={"round_id": round_.pk})
    audit_record(action="consensus.round_close", obj=round_, actor=by, process=round_.process)
    return round_


# --- Ratings ---------------------------------------------------------------------------------------------------


@dataclass
class RatingInput:
    item_id: int
    score: int | None = None
    unable_to_score: bool = False
    option_id: int | None = None
    vote: str = ""
    comment: str = ""
    proposed_wording: str = ""


def _rating_problems(entry: RatingInput, item_kind: str | None, options: dict[int, int], kind: str) -> dict:
    """What is wrong with one rating of an item of the round (item_kind None: not in the round, reported apart)."""
    if item_kind is None:
        return {}
    problems = {}
    if kind == Round.Kind.MEETING:
        if entry.vote and entry.vote not in Rating.Vote.values:
            problems["vote"] = "Vote include, exclude or abstain."
        if entry.score is not None or entry.unable_to_score:
            problems["score"] = "The consensus meeting takes votes, not scores."
        return problems
    if entry.vote:
        problems["vote"] = "Votes belong to the consensus meeting."
    if entry.score is not None and (isinstance(entry.score, bool) or not 1 <= entry.score <= 9):
        problems["score"] = "Score from 1 to 9, or choose 'unable to score'."
    if entry.score is not None and entry.unable_to_score:
        problems["unable_to_score"] = "Give a score or 'unable to score', not both."
    if entry.option_id is not None:
        if item_kind != Item.Kind.ALTERNATIVES:
            problems["option_id"] = "Only alternatives items take a chosen option."
        elif options.get(entry.option_id) != entry.item_id:
            problems["option_id"] = "Choose one of this item's options."
    if entry.proposed_wording and item_kind != Item.Kind.DEFINITION:
        problems["proposed_wording"] = "A rewording can be proposed only for a definition."
    if len(entry.comment) > 5000 or len(entry.proposed_wording) > 5000:
        problems["comment"] = "At most 5000 characters."
    for text_field in ("comment", "proposed_wording"):
        if NUL in getattr(entry, text_field):
            problems[text_field] = "Remove the NUL character (it cannot be stored)."
    return problems


class RatingsRefused(ValidationError):
    """Problems with some ratings of a submission, by position in the submission; nothing was stored."""

    def __init__(self, errors: dict[str, dict[str, str]], item_ids: Sequence[int]) -> None:
        self.errors = errors
        super().__init__(
            {
                "ratings": [
                    f"Rating {int(index) + 1} (item {item_ids[int(index)]}): {message}"
                    for index, problems in errors.items()
                    for message in problems.values()
                ]
            }
        )


def _is_answered(entry: RatingInput) -> bool:
    return entry.score is not None or entry.unable_to_score or bool(entry.vote) or entry.option_id is not None


_RATING_COLUMNS = (
    "round_item_id",
    "panelist_id",
    "is_draft",
    "score",
    "unable_to_score",
    "option_id",
    "vote",
    "comment",
    "proposed_wording",
    "submitted_at",
    "created_at",
    "updated_at",
)
# A second submission (or save) changes the stored row (and its updated_at), never its created_at.
_RATING_UPDATED = (*_RATING_COLUMNS[3:10], "updated_at")


def _ratings_upsert(
    *,
    panelist: Panelist,
    round_items: dict[int, tuple[int, str]],
    entries: Sequence[RatingInput],
    now: dt.datetime,
    draft: bool,
) -> None:
    """One multi-row INSERT ... ON CONFLICT DO UPDATE on the one-rating-per-panelist-item-round constraint (one
    submitted row and one draft per item), so a resubmission changes a rating and can never duplicate it."""
    stamp = db_datetime(now)
    submitted_at = None if draft else stamp
    rows = [
        (
            round_items[e.item_id][0],
            panelist.pk,
            draft,
            e.score,
            e.unable_to_score,
            e.option_id,
            e.vote,
            e.comment,
            e.proposed_wording,
            submitted_at,
            stamp,
            stamp,
        )
        for e in entries
    ]
    rows_insert(
        Rating, _RATING_COLUMNS, rows, conflict=("round_item_id", "panelist_id", "is_draft"), update=_RATING_UPDATED
    )


def _stored_answers(*, panelist: Panelist, round_: Round) -> dict[int, RatingInput]:
    """The panelist's current answers in a round, by item: the draft where there is one, else the submitted answer."""
    rows = (
        Rating.objects.filter(round_item__round=round_, panelist=panelist)
        .order_by("-is_draft")  # drafts first: the first row of an item is the one that counts here
        .values_list(
            "round_item__item_id",
            "score",
            "unable_to_score",
            "option_id",
            "vote",
            "comment",
            "proposed_wording",
        )
    )
    answers: dict[int, RatingInput] = {}
    for item_id, score, unable, option_id, vote, comment, wording in rows:
        answers.setdefault(item_id, RatingInput(item_id, score, unable, option_id, vote, comment, wording))
    return answers


@transaction.atomic
def rating_submit(
    *,
    panelist: Panelist,
    round: Round,
    ratings: Sequence[RatingInput],
    complete: bool = False,
) -> Participation:
    """Save a panelist's answers to a round as a draft, or submit them (complete=True).

    One rule for the web form and the API: only a submission changes what is tallied. Saving progress stores a
    draft, shown back to the panelist, and leaves any submitted answer as it was. A submission takes the
    panelist's current answers (draft, else submitted) with this request's on top; it is refused, storing
    nothing, unless every item of the round is then answered.

    1. Take a shared lock on the round: a close waits for us, and we refuse a round that closed first.
    2. Check the panelist (link active, consented, invited to this round) and every rating; collect all problems.
    3. Save progress: upsert the answers given as drafts (one draft per panelist, item and round).
    4. Submit: check every item is answered, upsert the answers as submitted (one per panelist, item and round:
       a second submission changes, never duplicates) and drop the drafts; mark the participation completed.
    Any refusal raises ValidationError and stores nothing.
    """
    panelist_check_active_or_refuse(panelist)
    round_ = _lock_round(round, shared=True)
    if round_.process_id != panelist.process_id:
        raise _refuse("round", "This round belongs to another study.")
    if round_.status != Round.Status.OPEN or (round_.closes_at is not None and round_.closes_at <= timezone.now()):
        raise _refuse("round", f"Round {round_.number} is closed; your answers were not saved.")
    if panelist.consented_at is None:
        raise _refuse("consent", "Please give your consent before rating.")
    participation = (
        Participation.objects.select_for_update(of=("self",)).filter(round=round_, panelist=panelist).order_by().first()
    )
    if participation is None:
        raise _refuse("round", f"You are not invited to round {round_.number}.")
    # Every item of the round as plain tuples: no model instances on the hot path (docs/performance.md).
    round_items = {
        item_id: (round_item_id, item_kind)
        for round_item_id, item_id, item_kind in RoundItem.objects.filter(round=round_)
        .order_by()
        .values_list("pk", "item_id", "item__kind")
    }
    item_ids = [entry.item_id for entry in ratings]
    missing_ids = set(item_ids) - set(round_items)
    elsewhere = dict(Item.objects.filter(pk__in=missing_ids).values_list("pk", "process_id")) if missing_ids else {}
    wanted_options = [entry.option_id for entry in ratings if entry.option_id is not None]
    options = (
        dict(ItemOption.objects.filter(pk__in=wanted_options).values_list("pk", "item_id")) if wanted_options else {}
    )
    errors: dict[str, dict] = {}
    seen: set[int] = set()
    for index, entry in enumerate(ratings):
        problems: dict[str, str] = {}
        if entry.item_id in seen:
            problems["item_id"] = "This item appears twice in the submission."
        seen.add(entry.item_id)
        known = round_items.get(entry.item_id)
        if known is None:
            if elsewhere.get(entry.item_id) == round_.process_id:
                problems["item_id"] = f"This item is not part of round {round_.number}."
            else:
                problems["item_id"] = "This item is not part of this study."
        problems.update(_rating_problems(entry, known[1] if known else None, options, round_.kind))
        if problems:
            errors[str(index)] = problems
    if errors:
        raise RatingsRefused(errors, item_ids)
    now = timezone.now()
    given = [entry for entry in ratings if _is_answered(entry) or entry.comment or entry.proposed_wording]
    update_fields = []
    if participation.started_at is None:
        participation.started_at = now
        update_fields.append("started_at")
    if not complete:
        _ratings_upsert(panelist=panelist, round_items=round_items, entries=given, now=now, draft=True)
    else:
        # Every item answered in this very submission needs no query; otherwise the stored answers complete it.
        if {entry.item_id for entry in given if _is_answered(entry)} >= set(round_items):
            answers = {entry.item_id: entry for entry in given}
        else:
            answers = _stored_answers(panelist=panelist, round_=round_)
            answers.update({entry.item_id: entry for entry in given})
        done = sum(1 for item_id in round_items if item_id in answers and _is_answered(answers[item_id]))
        if done < len(round_items):
            raise _refuse(
                "complete",
                f"Answer every item before submitting ({done} of {len(round_items)} answered); nothing was saved.",
            )
        _ratings_upsert(
            panelist=panelist, round_items=round_items, entries=list(answers.values()), now=now, draft=False
        )
        Rating.objects.filter(round_item__round=round_, panelist=panelist, is_draft=True).delete()
        if participation.completed_at is None:
            participation.completed_at = now
            update_fields.append("completed_at")
    if update_fields:
        participation.save(update_fields=update_fields)
    audit_record(
        action="consensus.rating_submit",
        obj=participation,
        actor_label=panelist.code,
        process=panelist.process,
        after={"round": round_.number, "ratings": len(given), "complete": complete},
    )
    return participation


@transaction.atomic
def meeting_live_counts_set(
    *, round_item: RoundItem, include: int, exclude: int, abstain: int, by: AbstractBaseUser | None
) -> RoundItem:
    """Record the show of hands at the consensus meeting for one item (added to any online votes)."""
    round_ = _lock_round(round_item.round, shared=False)
    if round_.kind != Round.Kind.MEETING:
        raise _refuse("round", "Live counts belong to the consensus meeting.")
    if round_.status != Round.Status.OPEN:
        raise _refuse("round", "The meeting is not open.")
    errors = {
        name: "A count of people, 0 or more."
        for name, value in (("include", include), ("exclude", exclude), ("abstain", abstain))
        if not isinstance(value, int) or isinstance(value, bool) or value < 0
    }
    if errors:
        raise ValidationError(errors)
    before = {
        "include": round_item.live_include,
        "exclude": round_item.live_exclude,
        "abstain": round_item.live_abstain,
    }
    round_item.live_include, round_item.live_exclude, round_item.live_abstain = include, exclude, abstain
    round_item.save(update_fields=["live_include", "live_exclude", "live_abstain"])
    audit_record(
        action="consensus.meeting_live_counts",
        obj=round_item,
        actor=by,
        process=round_.process,
        before=before,
        after={"include": include, "exclude": exclude, "abstain": abstain},
    )
    return round_item


# --- Suggestions -----------------------------------------------------------------------------------------------


@transaction.atomic
def suggestion_submit(
    *,
    panelist: Panelist,
    round: Round,
    name: str,
    definition: str = "",
    rationale: str = "",
) -> Suggestion:
    panelist_check_active_or_refuse(panelist)
    round_ = _lock_round(round, shared=True)
    if round_.process_id != panelist.process_id:
        raise _refuse("round", "This round belongs to another study.")
    if round_.status != Round.Status.OPEN or not round_.allow_suggestions:
        raise _refuse("round", "This round does not take suggestions.")
    if not Participation.objects.filter(round=round_, panelist=panelist).exists() or panelist.consented_at is None:
        raise _refuse("round", "You are not taking part in this round.")
    name = name.strip()
    if not name:
        raise _refuse("name", "Name the outcome you suggest.")
    if len(name) > 300:
        raise _refuse("name", "At most 300 characters.")
    if panelist.suggestions.count() >= 20:
        raise _refuse("name", "You have made 20 suggestions, the most one panelist can make.")
    suggestion = Suggestion.objects.create(
        round=round_, panelist=panelist, name=name, definition=definition.strip(), rationale=rationale.strip()
    )
    audit_record(
        action="consensus.suggestion_submit",
        obj=suggestion,
        actor_label=panelist.code,
        process=panelist.process,
        after={"name": name},
    )
    return suggestion


@transaction.atomic
def suggestion_decide(
    *,
    suggestion: Suggestion,
    decision: str,
    by: AbstractBaseUser | None,
    reason: str = "",
    merge_into: Item | None = None,
    domain_numbers: Sequence[int] = (),
) -> Suggestion:
    """Accept a suggestion (a new item, rated from the next round on), merge it into an item, or reject it."""
    suggestion = (
        Suggestion.objects.select_for_update(of=("self",)).select_related("round__process").get(pk=suggestion.pk)
    )
    process = suggestion.round.process
    if suggestion.status != Suggestion.Status.PENDING:
        raise _refuse("decision", "This suggestion has already been decided.")
    reason = reason.strip()
    if decision == Suggestion.Status.ACCEPTED:
        suggestion.resulting_item = item_create(
            process=process,
            name=suggestion.name,
            definition=suggestion.definition,
            domain_numbers=domain_numbers,
            by=by,
            source=Item.Source.SUGGESTION,
        )
    elif decision == Suggestion.Status.MERGED:
        if merge_into is None or merge_into.process_id != process.pk:
            raise _refuse("merge_into", "Choose an item of this process to merge the suggestion into.")
        suggestion.merged_into = merge_into
    elif decision == Suggestion.Status.REJECTED:
        if not reason:
            raise _refuse("reason", "Give the reason for rejecting the suggestion; the panelist will see it.")
    else:
        raise _refuse("decision", "Accept, merge or reject.")
    suggestion.status = decision
    suggestion.reason = reason
    suggestion.decided_by = by if by is not None and by.is_authenticated else None
    suggestion.decided_at = timezone.now()
    suggestion.save()
    audit_record(
        action="consensus.suggestion_decide",
        obj=suggestion,
        actor=by,
        process=process,
        after={"decision": decision, "reason": reason},
    )
    return suggestion


# --- Reminders -------------------------------------------------------------------------------------------------


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Email every invited panelist who has not completed an open round that closes within the process's
    reminder window. Never one who completed; at most one reminder a day. Returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    rounds = Round.objects.filter(status=Round.Status.OPEN, closes_at__gt=now).select_related("process")
    for round_ in rounds:
        process = round_.process
        if round_.closes_at - dt.timedelta(days=process.reminder_days_before_close) > now:
            continue
        due = (
            Panelist.objects.filter(
                participations__round=round_,
                participations__completed_at__isnull=True,
                token_revoked_at__isnull=True,
                token_expires_at__gt=now,
            )
            .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - dt.timedelta(hours=23)))
            .order_by("pk")
        )
        for panelist in due:
            with transaction.atomic():
                # Claim the reminder first, so that two beat runs cannot both email the same person.
                claimed = (
                    Panelist.objects.filter(pk=panelist.pk)
                    .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - dt.timedelta(hours=23)))
                    .update(last_reminded_at=now)
                )
                if not claimed:
                    continue
                send_mail(
                    f"Reminder: round {round_.number} of {process.title} closes on {round_.closes_at:%d %B %Y}",
                    f'Dear {panelist.name or "panelist"},\n\nRound {round_.number} of "{process.title}" closes on '
                    f"{round_.closes_at:%d %B %Y at %H:%M} UTC and you have not submitted it yet. Please open the "
                    "personal link from your invitation email (your saved answers are kept). If you cannot find "
                    "it, ask the facilitator for a new one.\n\nThank you.",
                    None,
                    [panelist.email],
                )
                audit_record(
                    action="consensus.reminder_send",
                    obj=panelist,
                    actor_label="system",
                    process=process,
                    after={"round": round_.number},
                )
            sent += 1
    return sent


# --- Finalise and publish --------------------------------------------------------------------------------------


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
    latest = _latest_results(process)
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
