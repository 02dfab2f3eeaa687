"""What a version's publication or withdrawal tells the outside world: subscribers by email, webhooks by POST
(docs/notifications.md). Called by services.versions inside the lifecycle change's transaction, so the messages
are written with the change (the outbox) and sent once it commits, or never if it rolls back."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from outcomes.exports import set_page_url, version_page_url
from outcomes.models import CoreOutcomeSetVersion, TrialAdoption
from outcomes.services.outbox import task_enqueue
from outcomes.services.subscriptions import subscribers_exist
from outcomes.services.webhooks import ADOPTION_VERIFIED, VERSION_PUBLISHED, VERSION_WITHDRAWN, webhook_event_emit


def version_event_payload(*, version: CoreOutcomeSetVersion) -> dict:
    """The `data` of a version.published or version.withdrawn webhook (docs/notifications.md, "Payloads")."""
    cos = version.core_outcome_set
    api = reverse("api:version-detail", kwargs={"slug": cos.slug, "version": version.version})
    return {
        "core_outcome_set": {
            "slug": cos.slug,
            "title": cos.title,
            "disease_area": cos.disease_area.slug,
            "url": set_page_url(slug=cos.slug),
        },
        "version": {
            "number": version.version,
            "status": version.status,
            "url": version_page_url(slug=cos.slug, version=version.version),
            "api_url": settings.SITE_URL + api,
            "published_on": version.published_on.isoformat() if version.published_on else None,
            "published_at": version.published_at.isoformat() if version.published_at else None,
            "is_correction": version.is_correction,
            "changelog": version.changelog,
            "withdrawn_at": version.withdrawn_at.isoformat() if version.withdrawn_at else None,
            "withdrawn_reason": version.withdrawn_reason or None,
        },
    }


def version_change_announce(*, version: CoreOutcomeSetVersion, event_type: str) -> None:
    """Email the subscribers of the set and of its disease area, and call the webhooks that chose the event.

    The emails are fanned out by a task (one email task per subscriber), enqueued only when someone subscribes:
    a publication nobody follows writes no outbox row."""
    if event_type not in (VERSION_PUBLISHED, VERSION_WITHDRAWN):
        raise ValueError(f"Not a version event: {event_type!r}")
    if subscribers_exist(version):
        task_enqueue(
            task_name="outcomes.tasks.subscribers_notify", kwargs={"version_id": version.pk, "event_type": event_type}
        )
    webhook_event_emit(event_type=event_type, payload=version_event_payload(version=version))


def adoption_verified_announce(*, adoption: TrialAdoption) -> None:
    """Call the webhooks that chose adoption.verified: the trial (never who declared it) and the set version it uses
    (docs/notifications.md, "Payloads")."""
    payload = version_event_payload(version=adoption.version)
    payload["adoption"] = {
        "id": adoption.pk,
        "registry": adoption.registry,
        "registry_id": adoption.registry_id,
        "registry_url": adoption.registry_url,
        "trial_title": adoption.trial_title,
        "verified_at": adoption.decided_at.isoformat() if adoption.decided_at else None,
    }
    webhook_event_emit(event_type=ADOPTION_VERIFIED, payload=payload)
