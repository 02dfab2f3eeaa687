"""Trials: check a trial's outcomes against a set version, declare that a trial uses a set version, and the
curators' decision on a declaration (docs/trials.md).

`adoption_verify` is the one place an adoption becomes verified: anything that must follow a verification
(a notification, a webhook) hooks there.
"""

from __future__ import annotations

from dataclasses import asdict

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from outcomes.models import CoreOutcomeSetVersion, SearchSynonym, TrialAdoption, TrialCheck
from outcomes.permissions import is_curator
from outcomes.selectors import PUBLIC_STATUSES
from outcomes.services.audit import audit_record
from outcomes.services.notifications import adoption_verified_announce
from outcomes.trials import matching
from outcomes.trials.inputs import ParsedTrial, trial_id_parse

User = AbstractBaseUser | AnonymousUser
ADOPTABLE_STATUSES = (CoreOutcomeSetVersion.Status.PUBLISHED, CoreOutcomeSetVersion.Status.SUPERSEDED)


def core_outcome_specs(version: CoreOutcomeSetVersion) -> list[matching.CoreOutcomeSpec]:
    """The matcher's view of a version's outcomes (prefetched by selectors.version_queryset: no query per row)."""
    return [
        matching.CoreOutcomeSpec(
            key=str(outcome.identity),
            name=outcome.name,
            note=outcome.note,
            applies_to=outcome.applies_to,
            instruments=tuple(
                (m.instrument.acronym, m.instrument.name) for m in outcome.measurements.all() if m.instrument_id
            ),
            domains=tuple(d.name for d in outcome.domains.all()),
        )
        for outcome in version.outcomes.all()
    ]


def synonyms_current() -> dict[str, list[str]]:
    """The curators' abbreviations and synonyms (SearchSynonym), as search uses them."""
    return {s.term: s.expansion_list for s in SearchSynonym.objects.all()}


@transaction.atomic
def trial_check_create(
    *, version: CoreOutcomeSetVersion, trial: ParsedTrial, source: str, by: User | None = None
) -> TrialCheck:
    """1. Refuse a version that is not public or holds no outcomes. 2. Match. 3. Store the result."""
    if version.status not in PUBLIC_STATUSES:
        raise ValidationError({"version": "Only a published version can be checked against."})
    specs = core_outcome_specs(version)
    if not specs:
        raise ValidationError(
            {"version": "The outcomes of this set version are not recorded in the registry yet: nothing to check."}
        )
    result = matching.check(specs, trial.outcomes, synonyms=synonyms_current())
    user = by if by is not None and by.is_authenticated else None
    return TrialCheck.objects.create(
        version=version,
        created_by=user,
        source=source,
        trial_title=trial.title[:500],
        registry_id=trial.registry_id,
        trial_outcomes=[asdict(o) for o in trial.outcomes],
        verdicts=[asdict(v) for v in result.verdicts],
        not_in_set=result.not_in_set,
        meets_kirkham=result.meets_kirkham,
        measured_count=result.counts[matching.MEASURED],
        possibly_count=result.counts[matching.POSSIBLY],
        missing_count=result.counts[matching.MISSING],
    )


def _snapshot(adoption: TrialAdoption) -> dict:
    return {"registry_id": adoption.registry_id, "version": adoption.version_id, "status": adoption.status}


@transaction.atomic
def adoption_declare(
    *,
    version: CoreOutcomeSetVersion,
    registry_id: str,
    by: User,
    trial_title: str = "",
    check: TrialCheck | None = None,
) -> TrialAdoption:
    """1. Check the identifier's format and the version (public). 2. One declaration per trial and version.
    3. Record it, pending a curator's decision, with an audit event."""
    if not by.is_authenticated:
        raise PermissionDenied("Sign in to declare an adoption.")
    try:
        trial_id = trial_id_parse(registry_id)
    except ValidationError as exc:
        raise ValidationError({"registry_id": exc.messages}) from None
    if version.status not in ADOPTABLE_STATUSES:
        raise ValidationError({"version": "Only a published (or superseded) version can be adopted."})
    if check is not None and check.version_id != version.pk:
        raise ValidationError({"check": "This check was made against another set version."})
    if TrialAdoption.objects.filter(registry_id=trial_id.value, version=version).exists():
        raise ValidationError({"registry_id": f"{trial_id.value} is already declared for this set version."})
    try:
        with transaction.atomic():
            adoption = TrialAdoption.objects.create(
                registry=trial_id.registry,
                registry_id=trial_id.value,
                trial_title=trial_title.strip()[:500],
                version=version,
                check_result=check,
                declared_by=by,
            )
    except IntegrityError:  # a concurrent declaration of the same trial and version
        raise ValidationError({"registry_id": f"{trial_id.value} is already declared for this set version."}) from None
    audit_record(
        action="adoption.declare",
        obj=adoption,
        actor=by,
        core_outcome_set=version.core_outcome_set,
        after=_snapshot(adoption),
    )
    return adoption


def _decide(adoption: TrialAdoption, *, by: User) -> TrialAdoption:
    if not is_curator(by):
        raise PermissionDenied("Only curators verify or reject adoptions.")
    locked = TrialAdoption.objects.select_for_update().select_related("version__core_outcome_set").get(pk=adoption.pk)
    if locked.status != TrialAdoption.Status.PENDING:
        raise ValidationError({"status": f"This declaration is already {locked.get_status_display().lower()}."})
    return locked


@transaction.atomic
def adoption_verify(*, adoption: TrialAdoption, by: User) -> TrialAdoption:
    """A curator confirms that the trial's registered outcomes include the set's core outcomes."""
    adoption = _decide(adoption, by=by)
    before = _snapshot(adoption)
    adoption.status = TrialAdoption.Status.VERIFIED
    adoption.decided_by = by
    adoption.decided_at = timezone.now()
    adoption.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        action="adoption.verify",
        obj=adoption,
        actor=by,
        core_outcome_set=adoption.version.core_outcome_set,
        before=before,
        after=_snapshot(adoption),
    )
    adoption_verified_announce(adoption=adoption)
    return adoption


@transaction.atomic
def adoption_reject(*, adoption: TrialAdoption, by: User, reason: str) -> TrialAdoption:
    if not reason.strip():
        raise ValidationError({"reason": "Say why the declaration is rejected."})
    adoption = _decide(adoption, by=by)
    before = _snapshot(adoption)
    adoption.status = TrialAdoption.Status.REJECTED
    adoption.reason = reason.strip()
    adoption.decided_by = by
    adoption.decided_at = timezone.now()
    adoption.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    audit_record(
        action="adoption.reject",
        obj=adoption,
        actor=by,
        core_outcome_set=adoption.version.core_outcome_set,
        before=before,
        after={**_snapshot(adoption), "reason": adoption.reason},
    )
    return adoption
