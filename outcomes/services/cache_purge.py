"""Purging shared caches (a CDN, Varnish, nginx) when a publication or a withdrawal changes public responses.

`HTTP_CACHE_PURGE_HOOK` names a callable taking `urls` (absolute paths, e.g. "/sets/asthma/"); none by default.
Publishing or withdrawing a version enqueues `http_cache_purge` through the outbox (outcomes/services/outbox.py), so
the hook runs after the commit, and again if it failed. Two hooks are provided (docs/deploy.md, "HTTP caching"):

- `nginx_refresh`: stock nginx cannot delete one cache entry, but it can replace it: a GET carrying the refresh
  token (`X-Cos-Refresh`) bypasses the cache and stores the fresh answer under the same key (deploy/nginx.conf).
- `varnish_purge`: a `PURGE` request per URL, as Varnish (and nginx with the cache_purge module) understand.

Pages with a query string (search, filtered and later pages of lists) cannot be listed here: shared caches keep
them at most `s-maxage` (outcomes/public_reads.py).
"""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Callable, Iterable

from django.conf import settings
from django.urls import reverse
from django.utils.module_loading import import_string

from outcomes.exports import EXPORT_FORMAT_NAMES
from outcomes.models import CoreOutcomeSet
from outcomes.services.outbox import task_enqueue

logger = logging.getLogger(__name__)

REFRESH_HEADER = "X-Cos-Refresh"
# nginx keys its cache on the URL and on whether the client prefers HTML (deploy/nginx.conf): refresh both.
REFRESH_ACCEPTS = ("text/html", "application/json")
TIMEOUT_SECONDS = 10


def purge_hook() -> Callable[..., None] | None:
    name = settings.HTTP_CACHE_PURGE_HOOK
    return import_string(name) if name else None


def cache_purge_enqueue(*, core_outcome_set: CoreOutcomeSet) -> None:
    """Called inside the publishing transaction: the purge runs once it commits (nothing when no hook is set)."""
    if settings.HTTP_CACHE_PURGE_HOOK:
        task_enqueue(task_name="outcomes.tasks.http_cache_purge", kwargs={"core_outcome_set_id": core_outcome_set.pk})


def set_changed_urls(*, core_outcome_set: CoreOutcomeSet) -> list[str]:
    """Every listable public URL that a publication or withdrawal in this set changes."""
    slug = core_outcome_set.slug
    area = core_outcome_set.disease_area.slug
    urls = [
        reverse("web:home"),
        reverse("web:set-detail", args=[slug]),
        reverse("web:version-latest", args=[slug]),
        reverse("web:disease-area", args=[area]),
        reverse("api:cos-list"),
        reverse("api:cos-detail", args=[slug]),
        reverse("api:version-list", args=[slug]),
        reverse("api:disease-area-detail", args=[area]),
    ]
    numbers = [*core_outcome_set.versions.values_list("version", flat=True), "latest"]
    for number in numbers:
        if number != "latest":
            urls.append(reverse("web:version-detail", args=[slug, number]))
        urls.append(reverse("api:version-detail", args=[slug, number]))
        urls += [reverse("api:version-export", args=[slug, number, name]) for name in EXPORT_FORMAT_NAMES]
    return urls


def cache_purge(*, core_outcome_set_id: int) -> list[str]:
    """Run the hook for the set's changed URLs (the task's work); the URLs, or [] when the set or hook is gone."""
    hook = purge_hook()
    core_outcome_set = CoreOutcomeSet.objects.select_related("disease_area").filter(pk=core_outcome_set_id).first()
    if hook is None or core_outcome_set is None:
        return []
    urls = set_changed_urls(core_outcome_set=core_outcome_set)
    hook(urls=urls)
    return urls


def _send(requests: Iterable[urllib.request.Request]) -> None:
    """Send every request; raise after the last if any failed, so that the outbox sends the purge again."""
    failed = []
    for request in requests:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (configured URL)
                response.read()
        except Exception as exc:  # urllib raises HTTPError, URLError, OSError
            if getattr(exc, "code", None) == 404:
                continue  # the cache refreshed a page that is gone (a withdrawn number): done
            failed.append(f"{request.get_method()} {request.full_url}: {exc}")
    if failed:
        raise OSError(f"Cache purge failed for {len(failed)} URL(s), first: {failed[0]}")


def nginx_refresh(*, urls: list[str]) -> None:
    """Refresh each URL in the nginx cache at HTTP_CACHE_PURGE_URL (deploy/nginx.conf)."""
    base = settings.HTTP_CACHE_PURGE_URL.rstrip("/")
    token = settings.HTTP_CACHE_PURGE_TOKEN
    _send(
        urllib.request.Request(base + url, headers={REFRESH_HEADER: token, "Accept": accept})  # noqa: S310
        for url in urls
        for accept in REFRESH_ACCEPTS
    )


def varnish_purge(*, urls: list[str]) -> None:
    """Send `PURGE <url>` to the cache at HTTP_CACHE_PURGE_URL (Varnish with a PURGE rule in its VCL)."""
    base = settings.HTTP_CACHE_PURGE_URL.rstrip("/")
    _send(urllib.request.Request(base + url, method="PURGE") for url in urls)  # noqa: S310
