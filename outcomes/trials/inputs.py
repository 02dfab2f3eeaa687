"""A trial's outcomes from what a user gives: a ClinicalTrials.gov API v2 study record (uploaded, pasted, or fetched
by NCT number), lines pasted one outcome per line, or a CSV file. And the trial registry identifiers.

Every parser raises django.core.exceptions.ValidationError with a message for people; nothing here stores anything.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from outcomes.trials.matching import TrialOutcome

# The largest input accepted (a paste or a file): a registration's outcome list is a few kilobytes.
MAX_INPUT_BYTES = 1_000_000
MAX_OUTCOMES = 500
MAX_FIELD_CHARS = 2000

CTGOV_STUDY_URL = "https://clinicaltrials.gov/api/v2/studies/{nct}"
FETCH_TIMEOUT_SECONDS = 8

NCT_RE = re.compile(r"^NCT\d{8}$")
# EU CT number (CTIS, from 2023): year, 5 and five digits, two digits, two digits (2023-503456-12-00); legacy
# EudraCT number (before CTIS): year, six digits, two digits (2015-001234-56).
EUCT_RE = re.compile(r"^(?:19|20)\d{2}-5\d{5}-\d{2}-\d{2}$")
EUDRACT_RE = re.compile(r"^(?:19|20)\d{2}-\d{6}-\d{2}$")
ISRCTN_RE = re.compile(r"^ISRCTN\d{8}$")

REGISTRY_LINKS = {
    "nct": "https://clinicaltrials.gov/study/{id}",
    "euct": "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT={id}",
    "eudract": "https://www.clinicaltrialsregister.eu/ctr-search/search?query={id}",
    "isrctn": "https://www.isrctn.com/{id}",
}
REGISTRY_LABELS = {
    "nct": "ClinicalTrials.gov",
    "euct": "EU CT number (CTIS)",
    "eudract": "EudraCT number",
    "isrctn": "ISRCTN",
}
IDENTIFIER_HELP = (
    "Give an NCT number (NCT followed by 8 digits), an EU CT number (e.g. 2023-503456-12-00), a EudraCT number "
    "(e.g. 2015-001234-56) or an ISRCTN (ISRCTN followed by 8 digits)."
)


@dataclass(frozen=True)
class TrialId:
    registry: str  # nct, euct, eudract, isrctn
    value: str

    @property
    def url(self) -> str:
        return REGISTRY_LINKS[self.registry].format(id=self.value)

    @property
    def registry_label(self) -> str:
        return REGISTRY_LABELS[self.registry]


def trial_id_parse(raw: str) -> TrialId:
    """A registry identifier, normalised (upper case, no spaces), or a ValidationError naming the accepted forms."""
    value = re.sub(r"\s+", "", raw or "").upper()
    for registry, pattern in (("nct", NCT_RE), ("euct", EUCT_RE), ("eudract", EUDRACT_RE), ("isrctn", ISRCTN_RE)):
        if pattern.match(value):
            return TrialId(registry, value)
    raise ValidationError(f"{raw.strip()[:40]!r} is not a trial registry identifier. {IDENTIFIER_HELP}", code="invalid")


@dataclass
class ParsedTrial:
    outcomes: list[TrialOutcome]
    title: str = ""
    registry_id: str = ""  # the NCT number of a ClinicalTrials.gov record


def _clip(value: object) -> str:
    return str(value or "").strip()[:MAX_FIELD_CHARS]


def _limit(outcomes: list[TrialOutcome]) -> list[TrialOutcome]:
    if not outcomes:
        raise ValidationError("No outcomes found: the input lists no outcome measure.", code="no_outcomes")
    if len(outcomes) > MAX_OUTCOMES:
        raise ValidationError(f"Too many outcomes: at most {MAX_OUTCOMES}.", code="too_many")
    return outcomes


def check_size(data: str | bytes) -> None:
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > MAX_INPUT_BYTES:
        raise ValidationError(
            f"The input is too large ({size:,} bytes): at most {MAX_INPUT_BYTES:,} bytes.", code="too_large"
        )


def decode(data: bytes) -> str:
    check_size(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is not UTF-8 text. Save it as UTF-8 (in Excel: CSV UTF-8) and upload it again.",
            code="encoding",
        ) from None


def parse_ctgov(record: object) -> ParsedTrial:
    """A ClinicalTrials.gov API v2 study record: protocolSection.outcomesModule's primary, secondary and other
    outcomes (measure, description, timeFrame)."""
    if not isinstance(record, dict) or not isinstance(record.get("protocolSection"), dict):
        raise ValidationError(
            "Not a ClinicalTrials.gov study record: the JSON has no protocolSection (API v2 format).", code="invalid"
        )
    section = record["protocolSection"]
    module = section.get("outcomesModule") or {}
    if not isinstance(module, dict):
        raise ValidationError("protocolSection.outcomesModule is not an object.", code="invalid")
    outcomes = []
    for key, kind in (("primaryOutcomes", "primary"), ("secondaryOutcomes", "secondary"), ("otherOutcomes", "other")):
        entries = module.get(key) or []
        if not isinstance(entries, list):
            raise ValidationError(f"outcomesModule.{key} is not a list.", code="invalid")
        for entry in entries:
            if isinstance(entry, dict) and _clip(entry.get("measure")):
                outcomes.append(
                    TrialOutcome(
                        measure=_clip(entry.get("measure")),
                        description=_clip(entry.get("description")),
                        time_frame=_clip(entry.get("timeFrame")),
                        kind=kind,
                    )
                )
    ident = section.get("identificationModule") or {}
    title = _clip(ident.get("briefTitle") or ident.get("officialTitle")) if isinstance(ident, dict) else ""
    nct = _clip(ident.get("nctId")) if isinstance(ident, dict) else ""
    if not outcomes:
        raise ValidationError(
            "The study record lists no outcome measures (protocolSection.outcomesModule is empty).", code="no_outcomes"
        )
    return ParsedTrial(_limit(outcomes), title=title, registry_id=nct if NCT_RE.match(nct) else "")


def parse_ctgov_text(text: str) -> ParsedTrial:
    check_size(text)
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationError("Not valid JSON: paste or upload the study record as the API returns it.") from None
    return parse_ctgov(record)


def parse_lines(text: str) -> ParsedTrial:
    """One outcome per line; blank lines and list bullets are ignored."""
    check_size(text)
    outcomes = []
    for line in text.splitlines():
        measure = re.sub(r"^\s*(?:[-*\u2022]|\d+[.)])\s*", "", line).strip()
        if measure:
            outcomes.append(TrialOutcome(measure=_clip(measure)))
    return ParsedTrial(_limit(outcomes))


CSV_COLUMNS = ("measure", "description", "time_frame", "kind")


def parse_csv(data: bytes) -> ParsedTrial:
    """A CSV file with a header row: `measure` (required), and optionally `description`, `time_frame` (or
    `timeFrame`) and `kind` (primary, secondary or other)."""
    text = decode(data)
    try:
        reader = csv.DictReader(io.StringIO(text))
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        if "measure" not in header:
            raise ValidationError(
                "The CSV file needs a header row with a `measure` column (and optionally description, time_frame, "
                "kind).",
                code="invalid",
            )
        outcomes = []
        for row in reader:
            clean = {(k or "").strip().lower(): (v or "") if isinstance(v, str) else "" for k, v in row.items()}
            measure = _clip(clean.get("measure"))
            if not measure:
                continue
            kind = _clip(clean.get("kind")).lower()
            outcomes.append(
                TrialOutcome(
                    measure=measure,
                    description=_clip(clean.get("description")),
                    time_frame=_clip(clean.get("time_frame") or clean.get("timeframe")),
                    kind=kind if kind in ("primary", "secondary", "other") else "primary",
                )
            )
    except csv.Error as exc:
        raise ValidationError(f"The CSV file cannot be read: {exc}.", code="invalid") from None
    return ParsedTrial(_limit(outcomes))


class FetchError(Exception):
    """ClinicalTrials.gov could not be reached, or did not answer with the record."""


Fetcher = Callable[[str], bytes]


def http_fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "COS-Registry"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - https only
            return response.read(MAX_INPUT_BYTES + 1)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise LookupError(url) from None
        raise FetchError(f"ClinicalTrials.gov answered {exc.code}.") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise FetchError(str(exc)) from None


def fetch_ctgov(nct: str, *, fetcher: Fetcher | None = None) -> ParsedTrial:
    """The study record of an NCT number from ClinicalTrials.gov API v2. The server may be offline or not allowed
    out: that is a clear ValidationError, never a 500."""
    trial_id = trial_id_parse(nct)
    if trial_id.registry != "nct":
        raise ValidationError("Only ClinicalTrials.gov records can be fetched: give an NCT number.", code="invalid")
    try:
        body = (fetcher or http_fetch)(CTGOV_STUDY_URL.format(nct=trial_id.value))
    except LookupError:
        raise ValidationError(f"ClinicalTrials.gov has no study {trial_id.value}.", code="not_found") from None
    except FetchError:
        raise ValidationError(
            "ClinicalTrials.gov cannot be reached from the registry right now. Download the study's JSON from "
            "clinicaltrials.gov and upload it, or paste its outcomes one per line.",
            code="unreachable",
        ) from None
    parsed = parse_ctgov_text(decode(body))
    parsed.registry_id = parsed.registry_id or trial_id.value
    return parsed
