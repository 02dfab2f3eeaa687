"""The version lifecycle (docs/versions.md).

    draft -> in_consensus -> published -> superseded
    draft ------------------> published -> withdrawn (with a reason)

A published, superseded or withdrawn version is frozen: database triggers refuse any change to its content
(outcomes/immutability.py). New content goes into a draft made from a frozen version (`version_draft_create`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from outcomes.immutability import immutability_error_message
from outcomes.models import ConsensusProcess, CoreOutcomeSet, CoreOutcomeSetVersion, Measurement, Outcome, Reference
from outcomes.models.sets import DOI_RE, SEMVER_RE
from outcomes.services.audit import audit_record
from outcomes.services.cache_purge import cache_purge_enqueue
from outcomes.services.diff import version_diff
from outcomes.services.errors import refuse as _refuse  # the name every refusal below uses
from outcomes.services.notifications import version_change_announce
from outcomes.services.search import set_search_index_refresh

Status = CoreOutcomeSetVersion.Status
OPEN_STATUSES = (Status.DRAFT, Status.IN_CONSENSUS)
FIRST_VERSION = "1.0.0"

SemVer = tuple[int, int, int]


def semver_parse(text: str) -> SemVer | None:
    """(major, minor, patch) for a valid MAJOR.MINOR.PATCH string, else None."""
    match = SEMVER_RE.match(text or "")
    return tuple(int(part) for part in match.groups()) if match else None  # type: ignore[return-value]


def _format(number: SemVer) -> str:
    return ".".join(str(part) for part in number)


def _bump(number: SemVer, level: str) -> SemVer:
    major, minor, patch = number
    if level == "major":
        return (major + 1, 0, 0)
    if level == "minor":
        return (major, minor + 1, 0)
    return (major, minor, patch + 1)


def _lock_set(version: CoreOutcomeSetVersion) -> CoreOutcomeSet:
    """Lock the set row: every lifecycle change of one set queues behind the others (PostgreSQL row lock)."""
    cos = CoreOutcomeSet.objects.select_for_update().get(pk=version.core_outcome_set_id)
    version.refresh_from_db()
    return cos


def _state(version: CoreOutcomeSetVersion) -> str:
    return version.get_status_display().lower()


def _last_frozen(version: CoreOutcomeSetVersion) -> CoreOutcomeSetVersion | None:
    """The highest-numbered published, superseded or withdrawn version of the set: numbers only go up."""
    return (
        CoreOutcomeSetVersion.objects.filter(
            core_outcome_set_id=version.core_outcome_set_id, status__in=CoreOutcomeSetVersion.FROZEN_STATUSES
        )
        .exclude(pk=version.pk)
        .order_by("-major", "-minor", "-patch")
        .first()
    )


def _previous_published(version: CoreOutcomeSetVersion) -> CoreOutcomeSetVersion | None:
    """What a draft is compared with: the set's published version, or, when the set has none (its last version
    was withdrawn), the highest-numbered frozen one."""
    published = (
        CoreOutcomeSetVersion.objects.filter(core_outcome_set_id=version.core_outcome_set_id, status=Status.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    return published or _last_frozen(version)


def version_propose_number(*, version: CoreOutcomeSetVersion) -> str:
    """The number the rules give a version about to be published (docs/versions.md, "Version numbers").

    1.0.0 for a set's first version; otherwise the last frozen number bumped by the level of the diff against the
    previous published version: major (outcome removed, or a definition flagged as changing meaning), minor
    (outcome added), patch (anything else).
    """
    last = _last_frozen(version)
    if last is None:
        return FIRST_VERSION
    base = _previous_published(version)
    level = version_diff(old=base, new=version).level
    return _format(_bump(last.semver, level))


def _choose_number(version: CoreOutcomeSetVersion, number: str | None) -> str:
    """Validate the curator's number, or pick one: the draft's own number when it satisfies the rules, else the
    proposal (a draft's number is provisional until publication)."""
    proposal = version_propose_number(version=version)
    last = _last_frozen(version)
    proposed = semver_parse(proposal)
    if number is None or not str(number).strip():
        own = semver_parse(version.version)
        if own and own >= proposed and (last is None or own > last.semver):
            return version.version
        return proposal
    number = str(number).strip()
    chosen = semver_parse(number)
    if chosen is None:
        raise _refuse("number", f"'{number}' is not a semantic version: use MAJOR.MINOR.PATCH, e.g. {proposal}.")
    if last is not None and chosen <= last.semver:
        raise _refuse("number", f"{number} must be greater than the last published version, {last.version}.")
    if chosen < proposed:
        raise _refuse(
            "number",
            f"{number} is lower than the proposed {proposal}: the changes since the previous version need at least "
            f"{proposal}. You may raise the number, never lower it.",
        )
    return number


def _check_correction(version: CoreOutcomeSetVersion, chosen: str) -> None:
    """A correction fixes wording the registry transcribed wrongly: it derives from the set's published version,
    changes something but nothing that needs more than a patch, takes a patch number of that version, and says
    what it corrects (docs/versions.md, "Corrections")."""
    corrected = version.derived_from
    if corrected is None or corrected.status != Status.PUBLISHED:
        raise _refuse("is_correction", "A correction is made from the set's published version.")
    diff = version_diff(old=corrected, new=version)
    if diff.is_empty:
        raise _refuse("is_correction", f"This correction changes nothing in version {corrected.version}.")
    if diff.level != "patch":
        raise _refuse(
            "is_correction",
            "A correction only fixes wording transcribed wrongly; adding or removing an outcome, or changing what a "
            f"definition means, needs a new {diff.level} version, not a correction.",
        )
    if semver_parse(chosen)[:2] != corrected.semver[:2]:
        raise _refuse("number", f"A correction of {corrected.version} is a patch: {chosen} is not.")
    if not version.changelog.strip():
        raise _refuse("changelog", "Say in the changelog what this correction corrects.")


def _refuse_unless_its_process_publishes(version: CoreOutcomeSetVersion, process: ConsensusProcess | None) -> None:
    owner = ConsensusProcess.objects.filter(draft_version=version).first()
    if owner is None:
        if process is not None:
            raise _refuse("process", f"Version {version.version} is not the draft of the process “{process.title}”.")
        return
    if process is None or process.pk != owner.pk:
        raise _refuse(
            "process",
            f"Version {version.version} is the result of the consensus process “{owner.title}” "
            f"({owner.get_status_display().lower()}). It is published from that process, once finalised, by a "
            "facilitator of the process.",
        )
    if owner.status != ConsensusProcess.Status.FINALISED:
        raise _refuse("process", f"Finalise the consensus process “{owner.title}” before publishing its result.")


@transaction.atomic
def version_publish(
    *,
    version: CoreOutcomeSetVersion,
    by: AbstractBaseUser | None = None,
    number: str | None = None,
    process: ConsensusProcess | None = None,
) -> CoreOutcomeSetVersion:
    """Publish a draft (or in-consensus) version and supersede the set's previously published one.

    A version that a consensus process builds is the panel's result: it is published only through that process
    (`process`, passed by consensus.process_publish once the process is finalised), never directly from the
    version page or the admin, which would leave the process running with its result already public.

    1. Lock the set row so that two concurrent publishes of one set queue up behind each other.
    2. Refuse anything but a draft or in-consensus version, and a version that a process owns unless that
       finalised process publishes it.
    3. Fix the number: the curator's `number` (valid semver, greater than the last published, not lower than
       the proposal), else the draft's own number if it satisfies the same rules, else the proposal. A correction
       must also keep to its rules (`_check_correction`).
    4. Supersede the current published version, then publish this one, in the same transaction.
    5. Refresh the set's search index: this version's outcomes are now public (the superseded one's stay so).
    6. Announce it (subscribers' emails, webhooks), sent once the transaction commits.
    7. Purge shared caches of the pages and documents this changed, once committed (outcomes/services/cache_purge.py).
    """
    cos = _lock_set(version)
    if version.status not in OPEN_STATUSES:
        raise _refuse("status", f"Only a draft or in-consensus version can be published, not a {_state(version)} one.")
    _refuse_unless_its_process_publishes(version, process)
    chosen = _choose_number(version, number)
    if version.is_correction:
        _check_correction(version, chosen)
    clash = cos.versions.filter(version=chosen).exclude(pk=version.pk).first()
    if clash is not None:
        raise _refuse("number", f"Version {chosen} already exists in this set ({_state(clash)}).")
    previous = cos.versions.filter(status=Status.PUBLISHED).exclude(pk=version.pk).first()
    if previous is not None:
        previous.status = Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
        audit_record(
            action="version.supersede",
            obj=previous,
            actor=by,
            core_outcome_set=cos,
            before={"status": Status.PUBLISHED},
            after={"status": Status.SUPERSEDED, "superseded_by": chosen},
        )
    before = {"status": version.status, "version": version.version}
    version.version = chosen
    version.status = Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    if version.published_on is None:
        version.published_on = timezone.localdate()
        version.published_on_precision = CoreOutcomeSetVersion.DatePrecision.DAY
    version.save()
    audit_record(
        action="version.publish",
        obj=version,
        actor=by,
        core_outcome_set=cos,
        before=before,
        after={"status": Status.PUBLISHED, "version": version.version},
    )
    set_search_index_refresh(core_outcome_set=cos)
    version_change_announce(version=version, event_type="version.published")
    cache_purge_enqueue(core_outcome_set=cos)
    return version


@transaction.atomic
def version_consensus_start(
    *, version: CoreOutcomeSetVersion, by: AbstractBaseUser | None = None
) -> CoreOutcomeSetVersion:
    """draft -> in_consensus: the draft's outcomes are now being agreed by a consensus process."""
    cos = _lock_set(version)
    if version.status != Status.DRAFT:
        raise _refuse("status", f"Only a draft can go into consensus, not a {_state(version)} version.")
    version.status = Status.IN_CONSENSUS
    version.save(update_fields=["status", "updated_at"])
    audit_record(
        action="version.consensus_start",
        obj=version,
        actor=by,
        core_outcome_set=cos,
        before={"status": Status.DRAFT},
        after={"status": Status.IN_CONSENSUS},
    )
    return version


@transaction.atomic
def version_withdraw(
    *, version: CoreOutcomeSetVersion, reason: str, by: AbstractBaseUser | None = None
) -> CoreOutcomeSetVersion:
    """published -> withdrawn, with a required reason.

    The set is then left without a published version: the superseded predecessor is NOT reinstated (its record
    stays true). Its pages show the withdrawn version with its banner until a curator publishes a new version,
    for example a draft made from the predecessor, which takes a number above the withdrawn one.
    """
    cos = _lock_set(version)
    if version.status != Status.PUBLISHED:
        raise _refuse("status", f"Only the published version can be withdrawn, not a {_state(version)} one.")
    reason = (reason or "").strip()
    if not reason:
        raise _refuse("reason", "Give the reason for withdrawing this version; it is shown on the version's page.")
    version.status = Status.WITHDRAWN
    version.withdrawn_at = timezone.now()
    version.withdrawn_reason = reason
    version.save(update_fields=["status", "withdrawn_at", "withdrawn_reason", "updated_at"])
    audit_record(
        action="version.withdraw",
        obj=version,
        actor=by,
        core_outcome_set=cos,
        before={"status": Status.PUBLISHED},
        after={"status": Status.WITHDRAWN, "reason": reason},
    )
    # A withdrawn version stays public (and findable); refreshing keeps the index right whatever that rule becomes.
    set_search_index_refresh(core_outcome_set=cos)
    version_change_announce(version=version, event_type="version.withdrawn")
    cache_purge_enqueue(core_outcome_set=cos)
    return version


@transaction.atomic
def version_draft_create(
    *, from_version: CoreOutcomeSetVersion, by: AbstractBaseUser | None = None, correction: bool = False
) -> CoreOutcomeSetVersion:
    """Copy a frozen version into a new draft that can be edited freely.

    With `correction`, the draft is a correction of `from_version` (`is_correction`, checked at publication): it
    keeps the literature date of the version it corrects, and its changelog starts "Correction".

    1. Lock the set; refuse when `from_version` is not frozen, or when the set already has an open draft (draft
       or in consensus): one line of work per set, so a publication never silently discards another draft.
    2. Create the draft with a provisional number (the next patch above every number of the set; the number is
       fixed at publication) and derived_from = from_version.
    3. Copy outcomes with the SAME identity, their domains and measurements, and the references, in bulk:
       a fixed number of queries whatever the size of the version.
    """
    cos = _lock_set(from_version)
    if not from_version.is_frozen:
        raise _refuse(
            "from_version",
            "A draft is made from a published, superseded or withdrawn version, "
            f"not from a {_state(from_version)} one.",
        )
    open_draft = cos.versions.filter(status__in=OPEN_STATUSES).first()
    if open_draft is not None:
        raise _refuse(
            "from_version",
            f"This set already has an open version, {open_draft.version} ({_state(open_draft)}): "
            "publish or delete it before starting another draft.",
        )
    highest = cos.versions.order_by("-major", "-minor", "-patch").first()
    draft = CoreOutcomeSetVersion.objects.create(
        core_outcome_set=cos,
        version=_format(_bump(highest.semver, "patch")),
        status=Status.DRAFT,
        # A correction is the same publication, transcribed right.
        published_on=from_version.published_on if correction else None,
        published_on_precision=from_version.published_on_precision
        if correction
        else CoreOutcomeSetVersion.DatePrecision.DAY,
        changelog=f"Correction of a transcription error in version {from_version.version}: " if correction else "",
        derived_from=from_version,
        is_correction=correction,
    )
    sources = list(
        Outcome.objects.filter(version=from_version).prefetch_related("domains", "measurements").order_by("order", "id")
    )
    copies = Outcome.objects.bulk_create(
        Outcome(
            version=draft,
            identity=source.identity,
            name=source.name,
            definition=source.definition,
            applies_to=source.applies_to,
            note=source.note,
            order=source.order,
            evidence_id=source.evidence_id,
            definition_agreed=source.definition_agreed,
            measurement_agreed=source.measurement_agreed,
        )
        for source in sources
    )
    Through = Outcome.domains.through
    Through.objects.bulk_create(
        Through(outcome_id=copy.pk, outcomedomain_id=domain.pk)
        for source, copy in zip(sources, copies, strict=True)
        for domain in source.domains.all()
    )
    Measurement.objects.bulk_create(
        Measurement(outcome_id=copy.pk, instrument_id=m.instrument_id, timing=m.timing, note=m.note, order=m.order)
        for source, copy in zip(sources, copies, strict=True)
        for m in source.measurements.all()
    )
    Reference.objects.bulk_create(
        Reference(
            version=draft,
            citation=r.citation,
            doi=r.doi,
            pmid=r.pmid,
            pmcid=r.pmcid,
            url=r.url,
            order=r.order,
        )
        for r in from_version.references.all()
    )
    audit_record(
        action="version.draft_create",
        obj=draft,
        actor=by,
        core_outcome_set=cos,
        after={
            "status": Status.DRAFT,
            "version": draft.version,
            "derived_from": from_version.version,
            "is_correction": correction,
        },
    )
    return draft


@contextmanager
def immutability_guard() -> Iterator[None]:
    """Turn a database refusal to change a frozen version into a ValidationError with a readable message.

    Wraps its body in a savepoint, so the surrounding transaction stays usable after the refusal (PostgreSQL).
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        message = immutability_error_message(exc)
        if message is None:
            raise
        raise ValidationError(message) from exc


def doi_normalise(value: str) -> str:
    """A DOI as entered or pasted (`doi:10.1/x`, `https://doi.org/10.1/x`) reduced to the DOI name."""
    text = (value or "").strip()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"):
        if text.lower().startswith(prefix):
            return text[len(prefix) :].strip()
    return text


@transaction.atomic
def version_doi_set(
    *, version: CoreOutcomeSetVersion, doi: str, by: AbstractBaseUser | None = None
) -> CoreOutcomeSetVersion:
    """Record the DOI minted for a version (or clear a wrong one with an empty value).

    1. Only a frozen version gets a DOI: a DOI names a record that never changes.
    2. The value must be a DOI name and not already name another version.
    3. The change is audited with the old and new value; the version's content stays as it was (the DOI is
       metadata about the record, outside the columns the immutability triggers guard).
    """
    version = CoreOutcomeSetVersion.objects.select_for_update().select_related("core_outcome_set").get(pk=version.pk)
    if not version.is_frozen:
        raise _refuse("doi", f"Only a published version can have a DOI, not a {_state(version)} one.")
    new = doi_normalise(doi)
    if new and not DOI_RE.match(new):
        raise _refuse("doi", f"{new!r} is not a DOI: a DOI looks like 10.1234/abc ('10.', digits, '/', a suffix).")
    if new and CoreOutcomeSetVersion.objects.filter(doi__iexact=new).exclude(pk=version.pk).exists():
        raise _refuse("doi", f"The DOI {new} already names another version.")
    old = version.doi
    if new == old:
        return version
    version.doi = new
    version.save(update_fields=["doi", "updated_at"])
    audit_record(
        action="version.doi_set",
        obj=version,
        actor=by,
        core_outcome_set=version.core_outcome_set,
        before={"doi": old},
        after={"doi": new},
    )
    return version
