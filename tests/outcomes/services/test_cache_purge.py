"""Purging shared caches after a publication or withdrawal (outcomes/services/cache_purge.py)."""

from __future__ import annotations

import http.server
import threading

import pytest
from django.urls import reverse

from outcomes.models import OutboxMessage
from outcomes.services.cache_purge import REFRESH_HEADER, nginx_refresh, set_changed_urls
from outcomes.services.versions import version_draft_create, version_publish, version_withdraw
from tests.factories import VersionFactory

pytestmark = pytest.mark.django_db

purged: list[list[str]] = []


def recording_hook(*, urls: list[str]) -> None:
    purged.append(urls)


@pytest.fixture
def hook(settings):
    settings.HTTP_CACHE_PURGE_HOOK = f"{__name__}.recording_hook"
    settings.HTTP_CACHE_PURGE_URL = "http://cache.invalid"
    purged.clear()
    yield purged
    purged.clear()


def test_publishing_without_a_purge_hook_enqueues_no_purge(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        version_publish(version=VersionFactory())
    assert not OutboxMessage.objects.filter(task_name="outcomes.tasks.http_cache_purge").exists()


def test_publishing_runs_the_hook_after_the_commit_with_the_pages_and_documents_that_changed(
    hook, django_capture_on_commit_callbacks
):
    version = VersionFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version_publish(version=version)
    assert hook == []  # nothing before the commit
    for callback in callbacks:
        callback()
    (urls,) = hook
    slug = version.core_outcome_set.slug
    assert reverse("web:set-detail", args=[slug]) in urls
    assert reverse("web:version-detail", args=[slug, version.version]) in urls
    assert reverse("api:version-detail", args=[slug, "latest"]) in urls
    assert reverse("api:version-export", args=[slug, version.version, "fhir"]) in urls
    assert reverse("api:cos-list") in urls and reverse("web:home") in urls
    assert OutboxMessage.objects.get(task_name="outcomes.tasks.http_cache_purge").done_at is not None


def test_withdrawing_purges_the_withdrawn_version_and_its_predecessor(hook, django_capture_on_commit_callbacks):
    first = version_publish(version=VersionFactory())
    second = version_publish(version=version_draft_create(from_version=first))
    hook.clear()
    with django_capture_on_commit_callbacks(execute=True):
        version_withdraw(version=second, reason="Synthetic: a test withdrawal")
    (urls,) = hook
    slug = first.core_outcome_set.slug
    for number in (first.version, second.version):
        assert reverse("api:version-detail", args=[slug, number]) in urls


def test_the_changed_urls_do_not_depend_on_the_hook(hook):
    version = version_publish(version=VersionFactory())
    urls = set_changed_urls(core_outcome_set=version.core_outcome_set)
    assert len(urls) == len(set(urls))


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[str, str, str | None, str | None]] = []

    def do_GET(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get(REFRESH_HEADER), self.headers.get("Accept")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_the_nginx_refresh_sends_the_token_for_both_cache_variants_of_each_url(settings):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.HTTP_CACHE_PURGE_URL = f"http://127.0.0.1:{server.server_port}/"
    settings.HTTP_CACHE_PURGE_TOKEN = "synthetic-token"
    _Recorder.seen = []
    try:
        nginx_refresh(urls=["/sets/a/", "/api/v1/core-outcome-sets/"])
    finally:
        server.shutdown()
    assert sorted(_Recorder.seen) == sorted(
        ("GET", url, "synthetic-token", accept)
        for url in ("/sets/a/", "/api/v1/core-outcome-sets/")
        for accept in ("text/html", "application/json")
    )


def test_a_refresh_that_cannot_reach_the_cache_raises_so_the_outbox_sends_it_again(settings):
    settings.HTTP_CACHE_PURGE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    with pytest.raises(OSError, match="Cache purge failed"):
        nginx_refresh(urls=["/"])
