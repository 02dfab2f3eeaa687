"""The version lifecycle: draft -> in_consensus -> published -> superseded, and published -> withdrawn."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion
from outcomes.services.audit import audit_record

Status = CoreOutcomeSetVersion.Status


@transaction.atomic
def version_publish(*, version: CoreOutcomeSetVersion, by: AbstractBaseUser | None = None) -> CoreOutcomeSetVersion:
    """Publish a draft (or in-consensus) version and supersede the set's previously published one.

    1. Lock the set row so that two concurrent publishes of one set queue up behind each other.
    2. Refuse anything but a draft or in-consensus version.
    3. Supersede the current published version, then publish this one, in the same transaction.
    """
    CoreOutcomeSet.objects.select_for_update().get(pk=version.core_outcome_set_id)
    version.refresh_from_db()
    if version.status not in (Status.DRAFT, Status.IN_CONSENSUS):
        state = version.get_status_display().lower()
        raise ValidationError({"status": f"Only a draft or in-consensus version can be published, not a {state} one."})
    previous = (
        CoreOutcomeSetVersion.objects.filter(core_outcome_set_id=version.core_outcome_set_id, status=Status.PUBLISHED)
        .exclude(pk=version.pk)
        .first()
    )
    if previous is not None:
        previous.status = Status.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
        audit_record(
            action="version.supersede",
            obj=previous,
            actor=by,
            core_outcome_set=version.core_outcome_set,
            before={"status": Status.PUBLISHED},
            after={"status": Status.SUPERSEDED},
        )
    before = {"status": version.status}
    version.status = Status.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = by
    version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(
        action="version.publish",
        obj=version,
        actor=by,
        core_outcome_set=version.core_outcome_set,
        before=before,
        after={"status": Status.PUBLISHED, "version": version.version},
    )
    return version
