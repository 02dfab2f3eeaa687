"""Candidate items of a process: one at a time, or many from a CSV file."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from outcomes.models import (
    ConsensusProcess,
    ContentTranslation,
    Instrument,
    Item,
    ItemOption,
    OutcomeDomain,
    Round,
)
from outcomes.selectors.translations import language_codes, language_name
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import NUL, _refuse_once_finalised
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses

CSV_MAX_BYTES = 1_000_000
CSV_MAX_ROWS = 2_000


def _domains_by_number(numbers: Sequence[int]) -> list[OutcomeDomain]:
    domains = list(OutcomeDomain.objects.filter(number__in=numbers))
    missing = sorted(set(numbers) - {d.number for d in domains})
    if missing:
        raise _refuse("domains", f"Unknown COMET domain number(s): {', '.join(map(str, missing))}.")
    return domains


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
    # Translations from the `<column>_<language>` columns: (field, language) -> text; per option by position.
    translations: dict[tuple[str, str], str] = field(default_factory=dict)
    option_translations: list[dict[tuple[str, str], str]] = field(default_factory=list)


def _translation_columns(columns: dict[str, int], process: ConsensusProcess) -> tuple[dict, dict, list[str]]:
    """The `name_de`, `definition_de`, `option 1_de`, `option 1 definition_de` ... columns (any language of the
    registry but English), and a problem for each column in a language the process does not run in."""
    item_cols: dict[tuple[str, str], int] = {}
    option_cols: dict[tuple[int, str, str], int] = {}
    problems = []
    for code in (c for c in language_codes() if c != settings.REFERENCE_LANGUAGE):
        found = []
        for field_name in ("name", "definition"):
            if f"{field_name} {code}" in columns:
                item_cols[(field_name, code)] = columns[f"{field_name} {code}"]
                found.append(f"{field_name}_{code}")
        for n in range(1, CSV_MAX_OPTIONS + 1):
            for field_name, header in (
                ("label", f"option {n} {code}"),
                ("definition", f"option {n} definition {code}"),
            ):
                if header in columns:
                    option_cols[(n, field_name, code)] = columns[header]
                    found.append(header.replace(f" {code}", f"_{code}"))
        if found and code not in process.languages:
            problems.append(
                f"the column {found[0]!r} is in {language_name(code)}, which is not a language of this process"
            )
    return item_cols, option_cols, problems


def _as_clause(message: str) -> str:
    """A service message ("Only instrument items have a timing.") as part of a CSV line's list of problems."""
    message = message.rstrip(".")
    return message[:1].lower() + message[1:]


def _import_translations(items: list[Item], rows: list[_CsvRow]) -> None:
    """Imported translations are drafts: a facilitator reviews them before a round can open."""
    translations = []
    for item, row in zip(items, rows, strict=True):
        translations += [
            ContentTranslation(item=item, field=field_name, language=code, text=text)
            for (field_name, code), text in row.translations.items()
        ]
        options = list(item.options.order_by("order", "id")) if row.option_translations else []
        for option, texts in zip(options, row.option_translations, strict=False):
            translations += [
                ContentTranslation(option=option, field=field_name, language=code, text=text)
                for (field_name, code), text in texts.items()
                if getattr(option, field_name)
            ]
    ContentTranslation.objects.bulk_create(translations)


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
    option_numbers = [n for n in range(1, CSV_MAX_OPTIONS + 1) if f"option {n}" in columns]
    translation_cols, option_translation_cols, language_problems = _translation_columns(columns, process)
    if language_problems:
        raise CsvImportError([(1, problem + ".") for problem in language_problems])
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
            translations = {key: cell(cells, col) for key, col in translation_cols.items() if cell(cells, col)}
            option_translations = [
                {
                    (field_name, code): cell(cells, col)
                    for (n, field_name, code), col in option_translation_cols.items()
                    if n == number and cell(cells, col)
                }
                for number, (label_col, definition_col_, instrument_col_) in zip(
                    option_numbers, option_cols, strict=True
                )
                if any(cell(cells, col) for col in (label_col, definition_col_, instrument_col_))
            ]
            english = {"name": name, "definition": cell(cells, definition_col)}
            for field_name, code in translations:
                if not english[field_name]:
                    row_problems.append(f"a {field_name}_{code} translation of an empty {field_name}")
            row = _CsvRow(
                line=start,
                translations=translations,
                option_translations=option_translations,
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
    _import_translations(outcomes, outcome_rows)
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
    _import_translations(details, [row for row in rows if row.kind != Item.Kind.OUTCOME])
    audit_record(
        action="consensus.candidates_import",
        obj=process,
        actor=by,
        process=process,
        after={"created": len(outcomes) + len(details)},
    )
    return [*outcomes, *details]
