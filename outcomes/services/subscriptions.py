"""Email subscriptions to a set or a disease area (docs/notifications.md, "Email subscriptions").

    request (confirmation email) -> confirm (link) -> emails on publish and withdrawal -> unsubscribe (one click)

Links carry a signed token (django.core.signing: the SECRET_KEY signs it, with a salt per purpose, and it expires)
naming the subscription and a nonce stored on its row. Using a link replaces the nonce, so each link works once;
a forged, expired or used link changes nothing. A request answers the same whether or not the address is already
subscribed, so the form tells nobody who reads what.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from diseases.models import DiseaseArea
from outcomes.exports import set_page_url, version_page_url
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Subscription
from outcomes.models.notifications import _nonce
from outcomes.ratelimit import attempt_count, parse_rate
from outcomes.services.audit import audit_record
from outcomes.services.emails import email_send
from outcomes.services.errors import refuse
from outcomes.services.outbox import task_enqueue

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
_SALT = "outcomes.subscriptions."


class TokenRefused(Exception):
    """A link that cannot be used: the message says why, for the error page and the API."""


LINK_FORGED = "This link is not valid: it may have been copied incompletely. Nothing was changed."
LINK_EXPIRED = "This link has expired. Nothing was changed; subscribe again to get a new confirmation email."
LINK_USED = "This link has already been used, or a newer one replaced it. Nothing was changed."


def subscription_token(*, subscription: Subscription, purpose: str) -> str:
    nonce = subscription.confirm_nonce if purpose == CONFIRM else subscription.unsubscribe_nonce
    return signing.dumps({"s": subscription.pk, "n": nonce}, salt=_SALT + purpose, compress=True)


def _max_age(purpose: str) -> int:
    return settings.SUBSCRIPTION_CONFIRM_MAX_AGE if purpose == CONFIRM else settings.SUBSCRIPTION_UNSUBSCRIBE_MAX_AGE


def subscription_from_token(*, token: str, purpose: str, lock: bool = False) -> Subscription:
    """The subscription a link names, or TokenRefused saying why not (forged, expired, used already)."""
    try:
        data = signing.loads(token, salt=_SALT + purpose, max_age=_max_age(purpose))
    except signing.SignatureExpired:
        raise TokenRefused(LINK_EXPIRED) from None
    except signing.BadSignature:
        raise TokenRefused(LINK_FORGED) from None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("n"), str):
        raise TokenRefused(LINK_FORGED)
    rows = Subscription.objects.select_related("core_outcome_set", "disease_area")
    if lock:
        rows = rows.select_for_update(of=("self",))
    subscription = rows.filter(pk=data["s"]).first()
    current = None
    if subscription is not None:
        current = subscription.confirm_nonce if purpose == CONFIRM else subscription.unsubscribe_nonce
    if current != data["n"]:
        raise TokenRefused(LINK_USED)
    if purpose == CONFIRM and subscription.is_active:
        raise TokenRefused(LINK_USED)
    if purpose == UNSUBSCRIBE and subscription.unsubscribed_at is not None:
        raise TokenRefused(LINK_USED)
    return subscription


def _link(name: str, token: str) -> str:
    return settings.SITE_URL + reverse(name, args=[token])


def unsubscribe_url(subscription: Subscription) -> str:
    return _link("web:unsubscribe", subscription_token(subscription=subscription, purpose=UNSUBSCRIBE))


def _target_context(subscription: Subscription) -> dict:
    if subscription.core_outcome_set is not None:
        cos = subscription.core_outcome_set
        return {"target_kind": "core outcome set", "target_name": cos.title, "target_url": set_page_url(slug=cos.slug)}
    area = subscription.disease_area
    url = settings.SITE_URL + reverse("web:disease-area", args=[area.slug])
    return {"target_kind": "disease area", "target_name": area.name, "target_url": url}


@transaction.atomic
def subscription_request(
    *,
    email: str,
    core_outcome_set: CoreOutcomeSet | None = None,
    disease_area: DiseaseArea | None = None,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> None:
    """Ask for a subscription; the confirmation email goes out once the transaction commits.

    1. Normalise the address; exactly one of a set or a disease area.
    2. Find or make the subscription row. A confirmed, active one is left as it is and no email is sent; the
       caller answers the same either way (no telling who is subscribed).
    3. Otherwise give it a fresh confirmation nonce (earlier confirmation links stop working) and enqueue the
       confirmation email, at most SUBSCRIBE_ADDRESS_RATE_LIMIT per address, so the form cannot flood an inbox.
    """
    if (core_outcome_set is None) == (disease_area is None):
        raise refuse("target", "Choose one core outcome set or one disease area.")
    email = (email or "").strip()
    if "@" not in email:
        raise refuse("email", "Enter a valid email address.")
    local, domain = email.rsplit("@", 1)
    email = f"{local}@{domain.lower()}"
    user = by if by is not None and by.is_authenticated else None
    subscription, _ = Subscription.objects.select_for_update().get_or_create(
        email=email, core_outcome_set=core_outcome_set, disease_area=disease_area, defaults={"user": user}
    )
    if subscription.is_active:
        return
    limit, period = parse_rate(settings.SUBSCRIBE_ADDRESS_RATE_LIMIT)
    if attempt_count(group="subscribe-address", key=email.lower(), period=period) > limit:
        return
    subscription.confirm_nonce = _nonce()
    subscription.requested_at = timezone.now()
    if subscription.unsubscribed_at is not None:  # subscribing again after leaving
        subscription.confirmed_at = None
        subscription.unsubscribed_at = None
    if user is not None and subscription.user_id is None:
        subscription.user = user
    subscription.save()
    # The address stays out of the log: the event names the row, and the row may be erased on request.
    audit_record(
        action="subscription.request",
        obj=subscription,
        actor=user,
        actor_label="" if user else "visitor",
        core_outcome_set=core_outcome_set,
        after={"target": str(subscription.target)},
    )
    task_enqueue(task_name="outcomes.tasks.subscription_confirmation_send", kwargs={"subscription_id": subscription.pk})


def subscription_confirmation_email(*, subscription: Subscription) -> None:
    """The double opt-in email: a link to confirm (valid SUBSCRIPTION_CONFIRM_MAX_AGE)."""
    link = _link("web:subscription-confirm", subscription_token(subscription=subscription, purpose=CONFIRM))
    hours = settings.SUBSCRIPTION_CONFIRM_MAX_AGE // 3600
    context = {"link": link, "hours": hours, **_target_context(subscription)}
    email_send(template="subscription_confirm", context=context, to=[subscription.email])


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscription:
    """Confirm with the emailed link (single-use). TokenRefused when the link is forged, expired or used."""
    subscription = subscription_from_token(token=token, purpose=CONFIRM, lock=True)
    subscription.confirmed_at = timezone.now()
    subscription.confirm_nonce = _nonce()
    subscription.unsubscribe_nonce = _nonce()
    subscription.save(update_fields=["confirmed_at", "confirm_nonce", "unsubscribe_nonce"])
    audit_record(
        action="subscription.confirm",
        obj=subscription,
        actor_label="subscriber",
        core_outcome_set=subscription.core_outcome_set,
        after={"target": str(subscription.target)},
    )
    return subscription


@transaction.atomic
def subscription_unsubscribe(*, token: str) -> Subscription:
    """Stop the emails (one click, no sign-in). TokenRefused when the link is forged, expired or used."""
    subscription = subscription_from_token(token=token, purpose=UNSUBSCRIBE, lock=True)
    subscription.unsubscribed_at = timezone.now()
    subscription.unsubscribe_nonce = _nonce()
    subscription.save(update_fields=["unsubscribed_at", "unsubscribe_nonce"])
    audit_record(
        action="subscription.unsubscribe",
        obj=subscription,
        actor_label="subscriber",
        core_outcome_set=subscription.core_outcome_set,
        after={"target": str(subscription.target)},
    )
    return subscription


def _active_subscriptions(version: CoreOutcomeSetVersion) -> QuerySet[Subscription]:
    """The confirmed subscriptions that hear about this version: to its set, or to its set's disease area."""
    cos = version.core_outcome_set
    return Subscription.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True).filter(
        Q(core_outcome_set=cos) | Q(disease_area_id=cos.disease_area_id)
    )


def subscribers_exist(version: CoreOutcomeSetVersion) -> bool:
    return _active_subscriptions(version).exists()


def subscribers_of(version: CoreOutcomeSetVersion) -> list[int]:
    """The subscriptions to email about this version, one per address."""
    rows = _active_subscriptions(version).order_by("id").values_list("pk", "email")
    # One email per address, even when it follows both the set and its disease area.
    first: dict[str, int] = {}
    for pk, email in rows:
        first.setdefault(email.lower(), pk)
    return list(first.values())


def subscribers_notify(*, version_id: int, event_type: str) -> int:
    """Enqueue one email per active subscription (each its own outbox message, so one failure delays no other).
    Run by a task inside its outbox transaction: the fan-out commits with the message done, or not at all."""
    version = CoreOutcomeSetVersion.objects.select_related("core_outcome_set").filter(pk=version_id).first()
    if version is None:
        return 0
    ids = subscribers_of(version)
    for pk in ids:
        task_enqueue(
            task_name="outcomes.tasks.subscription_notification_send",
            kwargs={"subscription_id": pk, "version_id": version_id, "event_type": event_type},
        )
    return len(ids)


def subscription_notification_email(
    *, subscription: Subscription, version: CoreOutcomeSetVersion, event_type: str
) -> bool:
    """One publication or withdrawal email, with RFC 8058 one-click unsubscribe headers. False if the subscription
    ended since the event (nothing is sent)."""
    if not subscription.is_active:
        return False
    cos = version.core_outcome_set
    link = unsubscribe_url(subscription)
    context = {
        "event_type": event_type,
        "withdrawn": event_type == "version.withdrawn",
        "cos": cos,
        "version": version,
        "version_url": version_page_url(slug=cos.slug, version=version.version),
        "unsubscribe_url": link,
        **_target_context(subscription),
    }
    headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    email_send(template="subscription_notification", context=context, to=[subscription.email], headers=headers)
    return True
