from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from outcomes.models import AuditEvent, ConsensusProcess, CoreOutcomeSet


def audit_record(
    *,
    action: str,
    obj: Any,
    actor: AbstractBaseUser | AnonymousUser | None = None,
    actor_label: str = "",
    process: ConsensusProcess | None = None,
    core_outcome_set: CoreOutcomeSet | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    """Append one audit event. Call inside the service's transaction so the record and the change land together."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        process=process,
        core_outcome_set=core_outcome_set,
        before=before,
        after=after,
    )
