"""Webhooks: events POSTed as JSON to the endpoints users register, signed per Standard Webhooks
(https://www.standardwebhooks.com; docs/notifications.md, "Webhooks").

Any service announces an event with `webhook_event_emit` inside its transaction: one delivery row per endpoint
that chose the event, and a task (through the outbox) that sends the endpoint's deliveries in order. A failed
attempt is retried on WEBHOOK_RETRY_SCHEDULE (a beat task picks up what is due); the endpoint's later deliveries
wait behind it, so a receiver gets them in the order the events happened. WEBHOOK_DISABLE_AFTER_FAILURES failed
attempts in a row disable the endpoint and email its owner.

SSRF: a URL must be https:// and every address its host resolves to must be public (`address_refusal`), checked
when the endpoint is saved and again at each delivery, which connects to the address it checked (a DNS answer that
changes in between, "DNS rebinding", cannot send the request elsewhere) while keeping the host name for the Host
header and TLS (SNI and certificate check).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import secrets
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from outcomes.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from outcomes.services.audit import audit_record
from outcomes.services.emails import email_send
from outcomes.services.errors import refuse
from outcomes.services.outbox import task_enqueue

VERSION_PUBLISHED = "version.published"
VERSION_WITHDRAWN = "version.withdrawn"
ADOPTION_VERIFIED = "adoption.verified"
WEBHOOK_EVENTS = (VERSION_PUBLISHED, VERSION_WITHDRAWN, ADOPTION_VERIFIED)

SECRET_PREFIX = "whsec_"  # noqa: S105 (the prefix of every secret, not a secret)
SECRET_BYTES = 32
EXCERPT_CHARS = 500
USER_AGENT = "COS-Registry-Webhooks/1"

Status = WebhookDelivery.Status


# --- Secrets and signatures ---------------------------------------------------------------------------------------


def webhook_secret_generate() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks signature: "v1," + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), the key being
    the base64-decoded part of the secret after "whsec_"."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, and the previous one during its grace period after a rotation."""
    keys = [endpoint.secret]
    if (
        endpoint.previous_secret
        and endpoint.previous_secret_expires_at
        and endpoint.previous_secret_expires_at > (timezone.now())
    ):
        keys.append(endpoint.previous_secret)
    return keys


def webhook_headers(*, endpoint: WebhookEndpoint, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    signatures = " ".join(
        webhook_sign(secret=key, message_id=message_id, timestamp=timestamp, body=body)
        for key in _signing_secrets(endpoint)
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


# --- Where a webhook may point (SSRF) -----------------------------------------------------------------------------

_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(text: str) -> str | None:
    """Why this IP address may not receive webhooks, or None when it may: private, loopback, link-local, multicast,
    reserved, unspecified or otherwise not global (IPv4 and IPv6; an IPv4-mapped or NAT64 IPv6 address is judged by
    the IPv4 address inside it). WEBHOOK_ALLOW_PRIVATE_TARGETS allows all but unspecified and multicast."""
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])  # "fe80::1%eth0": the zone is not part of the address
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.is_unspecified:
        return "is the unspecified address"
    if ip.is_multicast:
        return "is a multicast address"
    if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        return None
    for test, name in (
        (ip.is_loopback, "a loopback"),
        (ip.is_link_local, "a link-local"),
        (ip.is_reserved, "a reserved"),
        (ip.is_private, "a private"),
    ):
        if test:
            return f"is {name} address"
    if not ip.is_global:
        return "is not a public address"
    return None


_DNS_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _host_is_valid(host: str) -> bool:
    """An IP address, or a DNS name (internationalised names in their IDNA form) of at most 253 characters."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return True
    except ValueError:
        pass
    try:
        name = host.encode("idna").decode("ascii").lower().removesuffix(".")
    except UnicodeError:
        return False
    return 0 < len(name) <= 253 and all(_DNS_LABEL.match(label) for label in name.split("."))


def _resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (an IP literal resolves to itself), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    addresses: list[str]


def webhook_target(url: str, *, must_resolve: bool = True) -> Target:
    """Check a webhook URL and resolve it; ValueError with a sentence for people when it may not be used.

    https:// only (http:// with WEBHOOK_ALLOW_PRIVATE_TARGETS), no user name or password in the URL, and every
    address of the host allowed by `address_refusal`: a name that also resolves to a private address is refused.
    With `must_resolve=False` (saving an endpoint) a name that does not resolve yet passes with no address: each
    delivery resolves and checks it again.
    """
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if settings.WEBHOOK_ALLOW_PRIVATE_TARGETS else ("https",)
    if parts.scheme not in allowed_schemes:
        raise ValueError("The URL must start with https://.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("The URL must not contain a user name or password; authenticate with the signature.")
    host = parts.hostname
    if not host:
        raise ValueError("The URL has no host name.")
    if not _host_is_valid(host):
        raise ValueError(f"The host name {host} is not valid.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("The URL's port is not a number between 0 and 65535.") from None
    try:
        addresses = _resolve(host, port)
    except socket.gaierror:
        if must_resolve:
            raise ValueError(f"The host name {host} does not resolve to an address.") from None
        addresses = []
    except (OSError, UnicodeError):
        raise ValueError(f"The host name {host} is not valid.") from None
    for address in addresses:
        problem = address_refusal(address)
        if problem:
            shown = host if host == address else f"{host} resolves to {address}, which"
            raise ValueError(f"Webhooks are not sent to private networks: {shown} {problem}.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)


def _checked_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise refuse("url", "Give the URL to send the events to.")
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise refuse("url", "The URL is too long (at most 500 characters).")
    try:
        webhook_target(url, must_resolve=False)
    except ValueError as exc:
        raise refuse("url", str(exc)) from None
    return url


def _checked_events(events: list[str] | None) -> list[str]:
    events = list(dict.fromkeys(events or []))
    unknown = [event for event in events if event not in WEBHOOK_EVENTS]
    if unknown:
        raise refuse("events", f"Unknown event {', '.join(unknown)}; choose from {', '.join(WEBHOOK_EVENTS)}.")
    if not events:
        raise refuse("events", "Choose at least one event.")
    return [event for event in WEBHOOK_EVENTS if event in events]


# --- Endpoints ----------------------------------------------------------------------------------------------------


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {"url": endpoint.url, "events": endpoint.events, "is_enabled": endpoint.is_enabled}


@transaction.atomic
def webhook_endpoint_create(
    *, owner: AbstractBaseUser, url: str, events: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; return it and its secret, which is shown to the owner this once."""
    endpoint = WebhookEndpoint.objects.create(
        owner=owner,
        url=_checked_url(url),
        events=_checked_events(events),
        description=(description or "").strip()[:200],
        secret=webhook_secret_generate(),
    )
    audit_record(action="webhook.create", obj=endpoint, actor=owner, after=_snapshot(endpoint))
    return endpoint, endpoint.secret


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    by: AbstractBaseUser,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change the URL, the events or the description (what is None stays)."""
    before = _snapshot(endpoint)
    if url is not None:
        endpoint.url = _checked_url(url)
    if events is not None:
        endpoint.events = _checked_events(events)
    if description is not None:
        endpoint.description = description.strip()[:200]
    endpoint.save()
    audit_record(action="webhook.update", obj=endpoint, actor=by, before=before, after=_snapshot(endpoint))
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, by: AbstractBaseUser) -> None:
    audit_record(action="webhook.delete", obj=endpoint, actor=by, before=_snapshot(endpoint))
    endpoint.delete()


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, by: AbstractBaseUser) -> str:
    """A new secret, returned to be shown once. The old one keeps signing (a second signature in the header) for
    WEBHOOK_SECRET_GRACE_SECONDS, so the receiver can switch without a failed delivery."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(seconds=settings.WEBHOOK_SECRET_GRACE_SECONDS)
    endpoint.secret = webhook_secret_generate()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(
        action="webhook.rotate_secret",
        obj=endpoint,
        actor=by,
        after={"previous_secret_valid_until": endpoint.previous_secret_expires_at.isoformat()},
    )
    return endpoint.secret


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint, by: AbstractBaseUser) -> WebhookEndpoint:
    """Turn a disabled endpoint back on: the failure count starts again and its waiting deliveries are sent."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_enabled:
        raise refuse("is_enabled", "This endpoint is already enabled.")
    before = _snapshot(endpoint)
    endpoint.is_enabled = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.consecutive_failures = 0
    endpoint.save()
    endpoint.deliveries.filter(status=Status.PENDING).update(next_attempt_at=timezone.now())
    audit_record(action="webhook.enable", obj=endpoint, actor=by, before=before, after=_snapshot(endpoint))
    _enqueue_delivery(endpoint.pk)
    return endpoint


# --- Events and deliveries ----------------------------------------------------------------------------------------


def _enqueue_delivery(endpoint_id: int) -> None:
    task_enqueue(task_name="outcomes.tasks.webhook_deliver", kwargs={"endpoint_id": endpoint_id})


def webhook_event_emit(*, event_type: str, payload: dict) -> list[WebhookDelivery]:
    """Announce an event to every enabled endpoint that chose it. Call inside the transaction of the change: the
    deliveries are written with it and sent once it commits (through the outbox), or not at all.

    The body is {"type": event_type, "timestamp": ISO 8601, "data": payload}, fixed now; `payload` must be JSON.
    """
    if event_type not in WEBHOOK_EVENTS:
        raise ValueError(f"Unknown webhook event {event_type!r}; add it to WEBHOOK_EVENTS and the docs first.")
    body = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": payload}
    json.dumps(body)  # fail in the caller's transaction, not in the worker
    # JSONField __contains on a list is not portable to SQLite: the endpoints are few, filter them here.
    endpoints = [
        e for e in WebhookEndpoint.objects.filter(is_enabled=True).only("pk", "events") if event_type in e.events
    ]
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint_id=endpoint.pk,
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            payload=body,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    for endpoint in endpoints:
        _enqueue_delivery(endpoint.pk)
    return deliveries


@transaction.atomic
def webhook_delivery_replay(*, delivery: WebhookDelivery, by: AbstractBaseUser) -> WebhookDelivery:
    """Send a delivery again, with the same webhook-id and body (a receiver that has it already can drop it) and a
    fresh retry schedule."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    if delivery.status == Status.PENDING:
        raise refuse("status", "This delivery is still being sent; it cannot be replayed until it succeeds or fails.")
    before = {"status": delivery.status}
    delivery.status = Status.PENDING
    delivery.attempt_count = 0
    delivery.next_attempt_at = timezone.now()
    delivery.finished_at = None
    delivery.save(update_fields=["status", "attempt_count", "next_attempt_at", "finished_at"])
    audit_record(
        action="webhook.replay",
        obj=delivery,
        actor=by,
        before=before,
        after={"status": Status.PENDING, "message_id": delivery.message_id},
    )
    _enqueue_delivery(delivery.endpoint_id)
    return delivery


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, whatever the host name resolves to by then."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS, with the host name for SNI and the certificate check."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POST once, no redirects followed: the receiver's status and the start of its answer, or why none came."""
    started = time.monotonic()

    def outcome(status_code: int | None = None, excerpt: str = "", error: str = "") -> Outcome:
        duration = int((time.monotonic() - started) * 1000)
        return Outcome(status_code, duration, excerpt[:EXCERPT_CHARS], error[:EXCERPT_CHARS])

    try:
        target = webhook_target(url)  # resolved and checked again now: the DNS answer may have changed
    except ValueError as exc:
        return outcome(error=f"Refused: {exc}")
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(
        target.host, target.port, address=target.addresses[0], timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_CHARS * 4).decode("utf-8", errors="replace")
        return outcome(status_code=response.status, excerpt=excerpt)
    except (OSError, http.client.HTTPException) as exc:
        return outcome(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    finally:
        connection.close()


def _attempt(endpoint: WebhookEndpoint, delivery: WebhookDelivery) -> bool:
    """Send one delivery once and record the attempt; schedule the retry or give up; disable the endpoint after too
    many failures in a row. True when the receiver accepted it (2xx)."""
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = webhook_headers(endpoint=endpoint, message_id=delivery.message_id, timestamp=timestamp, body=body)
    result = _post(endpoint.url, body, headers)
    now = timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        status_code=result.status_code,
        duration_ms=result.duration_ms,
        response_excerpt=result.excerpt,
        error=result.error,
        succeeded=result.succeeded,
    )
    delivery.attempt_count += 1
    if result.succeeded:
        delivery.status = Status.SUCCEEDED
        delivery.finished_at = now
        delivery.next_attempt_at = None
        endpoint.consecutive_failures = 0
    else:
        schedule = settings.WEBHOOK_RETRY_SCHEDULE
        retries_done = delivery.attempt_count - 1
        if retries_done < len(schedule):
            delivery.next_attempt_at = now + dt.timedelta(seconds=schedule[retries_done])
        else:
            delivery.status = Status.FAILED
            delivery.finished_at = now
            delivery.next_attempt_at = None
        endpoint.consecutive_failures += 1
    delivery.save(update_fields=["status", "attempt_count", "next_attempt_at", "finished_at"])
    if not result.succeeded and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        _disable(endpoint, now)
    endpoint.save(update_fields=["consecutive_failures", "is_enabled", "disabled_at", "disabled_reason"])
    return result.succeeded


def _disable(endpoint: WebhookEndpoint, now) -> None:
    endpoint.is_enabled = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = f"{endpoint.consecutive_failures} failed attempts in a row."
    audit_record(
        action="webhook.disable",
        obj=endpoint,
        actor_label="system",
        before={"is_enabled": True},
        after={"is_enabled": False, "reason": endpoint.disabled_reason},
    )
    task_enqueue(task_name="outcomes.tasks.webhook_disabled_email_send", kwargs={"endpoint_id": endpoint.pk})


def webhook_endpoint_deliver(*, endpoint_id: int) -> int:
    """Send the endpoint's due deliveries, oldest first; return how many the receiver accepted.

    It stops at the first failure: later deliveries wait until that one succeeds or is given up, so they arrive in
    order. Each attempt is its own transaction with the endpoint row locked, so two workers never send to one
    endpoint at once (the second finds it locked and leaves: PostgreSQL SKIP LOCKED).
    """
    accepted = 0
    while True:
        with transaction.atomic():
            endpoint = WebhookEndpoint.objects.select_for_update(skip_locked=True).filter(pk=endpoint_id).first()
            if endpoint is None or not endpoint.is_enabled:
                return accepted
            delivery = endpoint.deliveries.filter(status=Status.PENDING).order_by("id").first()
            if delivery is None or (delivery.next_attempt_at is not None and delivery.next_attempt_at > timezone.now()):
                return accepted
            if not _attempt(endpoint, delivery):
                return accepted
            accepted += 1


@transaction.atomic
def webhook_retries_enqueue() -> int:
    """Run by beat: enqueue the delivery of every enabled endpoint whose oldest waiting delivery is due."""
    due = (
        WebhookDelivery.objects.filter(
            status=Status.PENDING, endpoint__is_enabled=True, next_attempt_at__lte=timezone.now()
        )
        .values_list("endpoint_id", flat=True)
        .distinct()
    )
    endpoint_ids = sorted(set(due))
    for endpoint_id in endpoint_ids:
        _enqueue_delivery(endpoint_id)
    return len(endpoint_ids)


def webhook_disabled_email(*, endpoint: WebhookEndpoint) -> bool:
    if not endpoint.owner.email or endpoint.is_enabled:
        return False
    context = {
        "endpoint": endpoint,
        "owner": endpoint.owner,
        "manage_url": settings.SITE_URL + reverse("web:webhook-detail", args=[endpoint.pk]),
    }
    email_send(template="webhook_disabled", context=context, to=[endpoint.owner.email])
    return True
