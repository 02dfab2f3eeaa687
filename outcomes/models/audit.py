from __future__ import annotations

import json

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    """An append-only record of one state change in curation, versioning or consensus.

    Append-only below the ORM: database triggers (outcomes/audit_triggers.py) refuse every UPDATE and DELETE.
    So the links to the actor, process and set are plain columns without a database foreign key
    (DO_NOTHING, db_constraint=False): deleting a user, process or set must not have to rewrite the log, and
    the event keeps the id of what it was about. `actor_label` keeps the actor's name once the user is gone.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Who acted when it was not a user: a panelist's pseudonymous code, or "system".
    actor_label = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.CharField(max_length=64)
    process = models.ForeignKey(
        "outcomes.ConsensusProcess",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_events",
    )
    core_outcome_set = models.ForeignKey(
        "outcomes.CoreOutcomeSet",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_events",
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    @property
    def before_text(self) -> str:
        return "" if self.before is None else json.dumps(self.before, sort_keys=True, ensure_ascii=False)

    @property
    def after_text(self) -> str:
        return "" if self.after is None else json.dumps(self.after, sort_keys=True, ensure_ascii=False)
