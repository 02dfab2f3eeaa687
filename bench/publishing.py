"""The publish scenario of bench/scale.py, its Django side: drafts to publish and the check that follows.

Drafts are made by the product's service (`version_draft_create`) from the published versions of the synthetic
sets, one per set that has no open version, in slug order: each run takes the same sets again, whose drafts the
previous run published. They are published by a curator (`PUBLISHER`), who signs in with the login form.
Needs a configured Django (bench/probes.py runs these in its own process, against the bench database).
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.db.models import Count, Q

from bench.scenarios import PUBLISHER, PUBLISHER_PASSWORD
from outcomes.models import AuditEvent, CoreOutcomeSet, CoreOutcomeSetVersion
from outcomes.permissions import CURATORS_GROUP
from outcomes.services.versions import OPEN_STATUSES, version_draft_create

SET_PREFIX = "bench-set-"

Status = CoreOutcomeSetVersion.Status


def publisher_ensure() -> AbstractBaseUser:
    """The benchmark's curator, with its password."""
    user, _ = get_user_model().objects.get_or_create(
        username=PUBLISHER, defaults={"email": f"{PUBLISHER}@bench.invalid"}
    )
    user.set_password(PUBLISHER_PASSWORD)
    user.save(update_fields=["password"])
    user.groups.add(Group.objects.get_or_create(name=CURATORS_GROUP)[0])
    return user


def publish_drafts_prepare(*, count: int) -> list[dict]:
    """`count` new drafts, each of a synthetic set with no open version, made by the curator from its published
    version. Returns each draft's id, set slug and version number (its publish URL's parts)."""
    publisher = publisher_ensure()
    sources = list(
        CoreOutcomeSetVersion.objects.filter(status=Status.PUBLISHED, core_outcome_set__slug__startswith=SET_PREFIX)
        .exclude(core_outcome_set__in=CoreOutcomeSet.objects.filter(versions__status__in=OPEN_STATUSES))
        .select_related("core_outcome_set")
        .order_by("core_outcome_set__slug")[:count]
    )
    if len(sources) < count:
        raise ValueError(f"only {len(sources)} synthetic sets without an open version, {count} drafts asked for")
    drafts = [version_draft_create(from_version=source, by=publisher) for source in sources]
    return [{"id": d.pk, "slug": d.core_outcome_set.slug, "version": d.version} for d in drafts]


def publish_drafts_check(version_ids: list[int]) -> dict:
    """Whether every one of these versions was published exactly once: it is published, one `version.publish`
    event records it, and it is its set's only published version (the previous one superseded)."""
    versions = CoreOutcomeSetVersion.objects.filter(pk__in=version_ids)
    events = Counter(
        AuditEvent.objects.filter(
            action="version.publish",
            object_type=CoreOutcomeSetVersion._meta.label_lower,
            object_id__in=[str(pk) for pk in version_ids],
        ).values_list("object_id", flat=True)
    )
    sets = CoreOutcomeSet.objects.filter(pk__in=versions.values("core_outcome_set")).annotate(
        published=Count("versions", filter=Q(versions__status=Status.PUBLISHED))
    )
    result = {
        "expected": len(version_ids),
        "published": versions.filter(status=Status.PUBLISHED).count(),
        "published_once": sum(1 for pk in version_ids if events[str(pk)] == 1),
        "sets_with_one_published": sets.filter(published=1).count(),
    }
    result["exact"] = (
        result["expected"] == result["published"] == result["published_once"] == result["sets_with_one_published"]
    )
    return result
