"""Who may do what. Roles are checked on the server for every view and endpoint.

- anonymous visitor: reads published, superseded and withdrawn versions (who may see which version:
  outcomes.selectors.registry.versions_visible_to and version_visible_to).
- panelist: takes part in one process through a personal link (no account); sees only their own ratings
  and aggregated feedback.
- facilitator: a user granted that role on one process (ConsensusProcess.facilitators).
- curator: a user in the "curators" group; edits sets and publishes versions, except a consensus process's result,
  which the process's facilitators publish through the process (services.versions.version_publish).
- staff admin: is_staff; everything, including the Django admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from outcomes.models import ConsensusProcess

CURATORS_GROUP = "curators"

User = AbstractBaseUser | AnonymousUser


def is_admin(user: User) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def is_curator(user: User) -> bool:
    if not user.is_authenticated:
        return False
    return is_admin(user) or user.groups.filter(name=CURATORS_GROUP).exists()


def is_facilitator(user: User, process: ConsensusProcess) -> bool:
    if not user.is_authenticated:
        return False
    return is_admin(user) or process.facilitators.filter(pk=user.pk).exists()


def can_read_consensus_aggregates(user: User, process: ConsensusProcess) -> bool:
    """The results and the report of a process (aggregates, no panelist): public once the process is published,
    before that its facilitators (and admins) only. The ratings, one row per panelist, stay with facilitators."""
    return process.status == "published" or is_facilitator(user, process)
