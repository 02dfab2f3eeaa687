"""Data sources and their feasibility reports (docs/network.md).

A report is the JSON the feasibility runner (outcomes/feasibility/cos_feasibility.py) writes at the data partner:
aggregate counts only, small cells already suppressed. It is checked here against REPORT_SCHEMA before it is stored,
so the registry never holds a count a partner should not have sent.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import uuid
from typing import Annotated, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, Strict, StringConstraints, model_validator
from pydantic import ValidationError as PydanticValidationError

from outcomes.models import CoreOutcomeSetVersion, DataSource, FeasibilityReport
from outcomes.services.audit import audit_record
from outcomes.services.consensus.common import token_hash
from outcomes.services.errors import refuse

REPORT_FORMAT = "cos-registry/feasibility-report/1"
# The smallest minimum cell count the registry accepts: a partner may suppress more (10, 11...), never less.
REGISTRY_MIN_CELL_COUNT = 5
# Reports are accepted for the versions a partner can have run: the published one and, until the partner catches
# up, a superseded one. Not for drafts (nobody outside sees them) nor withdrawn versions.
REPORTABLE_STATUSES = (CoreOutcomeSetVersion.Status.PUBLISHED, CoreOutcomeSetVersion.Status.SUPERSEDED)
SMALL_CELL_RE = re.compile(r"^< ([1-9][0-9]*)$")

# --- The report's schema (pydantic): unknown fields are refused, so nothing but aggregates can be uploaded --------

Text = Annotated[str, StringConstraints(max_length=300)]
# A count is a JSON integer (strictly: not "12", not 12.0, not true) or a suppressed cell "< N".
Number = Annotated[int, Strict(), Field(ge=0)]
Count = Number | Annotated[str, Strict(), StringConstraints(pattern=r"^< [1-9][0-9]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


class ReportSet(_Strict):
    slug: Text
    version: Text
    canonical_url: Text = ""


class ReportCdm(_Strict):
    cdm_version: Text | None
    vocabulary_version: Text | None
    observation_period_start: dt.date | None
    observation_period_end: dt.date | None


class ReportPopulation(_Strict):
    concepts: Number
    persons: Count


class ReportWindow(_Strict):
    start_day: int
    end_day: int


class ReportOutcome(_Strict):
    identity: uuid.UUID
    name: Text
    status: Literal["counted", "not_mapped"]
    mapping_revision: Annotated[int, Strict(), Field(ge=1)] | None
    concepts: Number
    persons: Count | None
    window: ReportWindow | None = None

    @model_validator(mode="after")
    def _counted_or_not_mapped(self) -> ReportOutcome:
        # A counted outcome has a count and the mapping revision it used; an outcome not mapped has neither.
        counted = self.status == "counted"
        if counted != (self.persons is not None) or counted != (self.mapping_revision is not None):
            raise ValueError(
                "a counted outcome needs persons and mapping_revision; an outcome not mapped has neither (null)"
            )
        return self


class ReportDocument(_Strict):
    format: Literal["cos-registry/feasibility-report/1"]
    runner_version: Text
    generated_at: AwareDatetime
    min_cell_count: Annotated[int, Strict(), Field(ge=1, le=1000)]
    set: ReportSet
    cdm: ReportCdm
    population: ReportPopulation
    outcomes: Annotated[list[ReportOutcome], Field(max_length=1000)]


def report_validate(document: object) -> ReportDocument:
    """The report as the schema reads it, or a ValidationError with one message per field path
    (`outcomes.2.persons`)."""
    try:
        return ReportDocument.model_validate(document)
    except PydanticValidationError as exc:
        fields: dict[str, list[str]] = {}
        for error in exc.errors(include_url=False):
            # A union's alternatives add their type name to the path (`persons.int`): name the field only.
            path = ".".join(str(part) for part in error["loc"] if not _is_union_tag(part)) or "report"
            fields.setdefault(path, []).append(error["msg"])
        raise ValidationError(fields) from None


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and (part in ("int", "str", "constrained-int", "constrained-str") or "[" in part)


# --- Data sources ---------------------------------------------------------------------------------------------------


def _new_token() -> str:
    return f"cosds_{secrets.token_urlsafe(32)}"


@transaction.atomic
def data_source_create(
    *,
    name: str,
    country: str,
    contact: str,
    by: AbstractBaseUser | None,
    cdm_version: str = "v5.4",
    description: str = "",
    is_demo: bool = False,
) -> tuple[DataSource, str]:
    """Register a data source and issue its upload token: (data source, token). The token is shown once."""
    name = name.strip()
    if not name:
        raise refuse("name", "Give the data source a name.")
    if DataSource.objects.filter(name__iexact=name).exists():
        raise refuse("name", f"A data source named {name!r} is already registered.")
    token = _new_token()
    source = DataSource.objects.create(
        name=name,
        country=country.strip(),
        contact=contact.strip(),
        cdm_version=cdm_version.strip(),
        description=description,
        is_demo=is_demo,
        token_hash=token_hash(token),
        token_issued_at=timezone.now(),
        created_by=by,
    )
    audit_record(
        action="data_source.create",
        obj=source,
        actor=by,
        after={"name": source.name, "country": source.country, "cdm_version": source.cdm_version},
    )
    return source, token


@transaction.atomic
def data_source_token_rotate(*, data_source: DataSource, by: AbstractBaseUser | None) -> str:
    """Issue a new upload token; the old one stops working at once. Returns the new token (shown once)."""
    token = _new_token()
    DataSource.objects.filter(pk=data_source.pk).update(token_hash=token_hash(token), token_issued_at=timezone.now())
    data_source.refresh_from_db(fields=["token_hash", "token_issued_at"])
    audit_record(action="data_source.token_rotate", obj=data_source, actor=by)
    return token


def data_source_authenticate(*, token: str) -> DataSource | None:
    """The data source an upload token belongs to, or None."""
    if not token.startswith("cosds_") or len(token) > 100:
        return None
    return DataSource.objects.filter(token_hash=token_hash(token)).first()


# --- Reports --------------------------------------------------------------------------------------------------------


def _small_cells(report: ReportDocument) -> dict[str, list[str]]:
    """Counts the partner should have suppressed: an exact 0 < n < minimum, or a "< N" that is not the minimum."""
    minimum = report.min_cell_count
    problems: dict[str, list[str]] = {}
    cells = [("population.persons", report.population.persons)]
    cells += [(f"outcomes.{i}.persons", o.persons) for i, o in enumerate(report.outcomes)]
    for path, value in cells:
        if isinstance(value, int) and 0 < value < minimum:
            problems[path] = [f"A count under the minimum cell count ({minimum}) must be sent as '< {minimum}'."]
        elif isinstance(value, str) and value != f"< {minimum}":
            problems[path] = [f"A suppressed count is written '< {minimum}' (the report's min_cell_count)."]
    return problems


@transaction.atomic
def feasibility_report_submit(
    *, data_source: DataSource, version: CoreOutcomeSetVersion, document: object
) -> FeasibilityReport:
    """Store a data source's report on a version, replacing its previous one.

    1. Validate the document against the report schema (a ValidationError names each bad field).
    2. Refuse a report on another set or version than the one addressed, on a version that is not published (or
       superseded), with a minimum cell count under the registry's, with a small cell not suppressed, or naming an
       outcome the version does not have (or an outcome twice).
    3. Store it (one per data source and version) and audit the upload with its population and counted outcomes.
    """
    report = report_validate(document)
    cos = version.core_outcome_set
    if report.set.slug != cos.slug:
        raise refuse("set.slug", f"The report is for the set {report.set.slug!r}, not {cos.slug!r}.")
    if report.set.version != version.version:
        raise refuse("set.version", f"The report is for version {report.set.version}, not {version.version}.")
    if version.status not in REPORTABLE_STATUSES:
        raise refuse("set.version", f"Version {version.version} is {version.get_status_display().lower()}.")
    if report.min_cell_count < REGISTRY_MIN_CELL_COUNT:
        raise refuse(
            "min_cell_count", f"The registry accepts a minimum cell count of {REGISTRY_MIN_CELL_COUNT} or more."
        )
    if problems := _small_cells(report):
        raise ValidationError(problems)
    identities = set(version.outcomes.values_list("identity", flat=True))
    seen: set[uuid.UUID] = set()
    for i, outcome in enumerate(report.outcomes):
        if outcome.identity not in identities:
            raise refuse(
                f"outcomes.{i}.identity", f"{outcome.identity} is not an outcome of version {version.version}."
            )
        if outcome.identity in seen:
            raise refuse(f"outcomes.{i}.identity", f"{outcome.identity} is reported twice.")
        seen.add(outcome.identity)
    stored = report.model_dump(mode="json")
    now = timezone.now()
    # One upload per data source at a time: two concurrent first uploads would both find no previous report.
    DataSource.objects.select_for_update().filter(pk=data_source.pk).first()
    previous = FeasibilityReport.objects.select_for_update().filter(data_source=data_source, version=version).first()
    if previous is None:
        saved = FeasibilityReport.objects.create(
            data_source=data_source, version=version, document=stored, generated_at=report.generated_at, received_at=now
        )
    else:
        previous.document, previous.generated_at, previous.received_at = stored, report.generated_at, now
        previous.save(update_fields=["document", "generated_at", "received_at"])
        saved = previous
    audit_record(
        action="feasibility_report.submit",
        obj=saved,
        actor_label=f"data source {data_source.pk}",
        core_outcome_set=cos,
        after={
            "data_source": data_source.name,
            "version": version.version,
            "generated_at": stored["generated_at"],
            "population": stored["population"]["persons"],
            "replaced": previous is not None,
        },
    )
    return saved
