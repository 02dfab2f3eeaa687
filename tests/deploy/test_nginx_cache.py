"""The stateless app tier behind nginx (deploy/nginx.conf): two gunicorn instances share the load, nginx caches public
reads and never personal ones, and after a publication no cached answer is stale once the purge ran.

Needs PostgreSQL (the app servers are separate processes on the test database) and nginx; skips locally without
them, fails when COS_REQUIRE_NGINX=1 (.ci/run)."""

from __future__ import annotations

import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from django.conf import settings

from cos_registry.deploy import nginx_config_render, nginx_start
from outcomes.services.cache_purge import cache_purge, set_changed_urls
from outcomes.services.versions import version_draft_create, version_publish
from tests.factories import VersionFactory
from tests.served import gunicorn_serving, production_env


def _missing() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL (DATABASE_URL=postgres://...)"
    if shutil.which("nginx") is None:
        return "needs nginx on PATH (apt-get install nginx)"
    return None


_reason = _missing()
if _reason and os.environ.get("COS_REQUIRE_NGINX") == "1":
    pytestmark = [pytest.mark.django_db(transaction=True)]

    @pytest.fixture(autouse=True)
    def _required():
        pytest.fail(f"COS_REQUIRE_NGINX=1 but {_reason}")
else:
    pytestmark = [pytest.mark.skipif(bool(_reason), reason=_reason or ""), pytest.mark.django_db(transaction=True)]

TOKEN = "synthetic-refresh-token-for-tests"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(base: str, path: str, **headers: str) -> Answer:
    request = urllib.request.Request(base + path, headers=headers)  # noqa: S310 (http://127.0.0.1)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Tier:
    proxy: str  # nginx
    apps: list  # the gunicorn instances (tests.served.Served)


@pytest.fixture(scope="module")
def _running_tier(tmp_path_factory, django_db_setup, django_db_blocker) -> Iterator[Tier]:
    """Two gunicorn instances and nginx, started once for the module (collecting static files takes a while)."""
    directory = tmp_path_factory.mktemp("tier")
    port = _free_port()
    with django_db_blocker.unblock():
        # As in production, every app server builds links on the public address (the proxy's).
        env = production_env(directory, ALLOWED_HOSTS="127.0.0.1", SITE_URL=f"http://127.0.0.1:{port}")
    with ExitStack() as stack:
        apps = []
        for name in ("app1", "app2"):
            (directory / name).mkdir()
            apps.append(stack.enter_context(gunicorn_serving(env, directory / name)))
        config = nginx_config_render(
            listen=f"127.0.0.1:{port}",
            upstreams=[app.url.removeprefix("http://") for app in apps],
            run_dir=directory / "nginx",
            refresh_token=TOKEN,
        )
        process = nginx_start(config)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert process.poll() is None, process.stderr.read().decode()
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.1)
            yield Tier(f"http://127.0.0.1:{port}", apps)
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture
def tier(_running_tier, settings) -> Tier:
    settings.HTTP_CACHE_PURGE_URL = _running_tier.proxy
    settings.HTTP_CACHE_PURGE_TOKEN = TOKEN
    return _running_tier


ACCEPTS = ("text/html", "application/json")
# nginx's $upstream_cache_status values for an answer that did not come from the app for this request.
FROM_CACHE = {"HIT", "STALE", "UPDATING", "REVALIDATED"}


def test_public_reads_are_cached_and_spread_over_both_app_servers(tier):
    version = version_publish(version=VersionFactory())
    path = f"/sets/{version.core_outcome_set.slug}/"
    first = fetch(tier.proxy, path)
    again = fetch(tier.proxy, path)
    assert first.status == 200 and first.headers["X-Cache"] in ("MISS", "EXPIRED")
    assert again.headers["X-Cache"] == "HIT" and again.body == first.body
    assert "s-maxage=" in again.headers["Cache-Control"] and again.headers["ETag"]
    for number in range(12):
        fetch(tier.proxy, f"/api/v1/core-outcome-sets/?page={number + 1}")
    served = [app.access_log.read_text().count("GET ") for app in tier.apps]
    assert all(count > 0 for count in served), served


def test_signed_in_and_recently_writing_clients_go_past_the_cache(tier):
    version = version_publish(version=VersionFactory())
    path = f"/sets/{version.core_outcome_set.slug}/"
    fetch(tier.proxy, path)
    assert fetch(tier.proxy, path).headers["X-Cache"] == "HIT"
    for cookie in ("sessionid=abcdefgh12345678", "cos_wrote=1"):
        assert fetch(tier.proxy, path, Cookie=cookie).headers["X-Cache"] == "BYPASS"
    assert fetch(tier.proxy, path, Authorization="Token x").headers["X-Cache"] == "BYPASS"


def test_no_cached_answer_is_stale_after_a_publication_once_the_purge_ran(tier, settings):
    first = version_publish(version=VersionFactory())
    cos = first.core_outcome_set
    urls = set_changed_urls(core_outcome_set=cos)
    for url in urls:
        for accept in ACCEPTS:
            fetch(tier.proxy, url, Accept=accept)  # now cached

    # Published without a purge hook: the cache still answers the old pages.
    second = version_publish(version=version_draft_create(from_version=first))
    app = tier.apps[0].url

    def stale() -> list[tuple[str, str]]:
        found = []
        for url in set_changed_urls(core_outcome_set=cos):
            for accept in ACCEPTS:
                cached, fresh = (
                    fetch(tier.proxy, url, Accept=accept),
                    fetch(app, url, Accept=accept, Host=tier.proxy.removeprefix("http://")),  # as nginx asks
                )
                from_cache = cached.headers.get("X-Cache") in FROM_CACHE
                if from_cache and (cached.status, cached.body) != (fresh.status, fresh.body):
                    found.append((url, accept))
        return found

    assert (f"/sets/{cos.slug}/", "text/html") in stale()

    settings.HTTP_CACHE_PURGE_HOOK = "outcomes.services.cache_purge.nginx_refresh"
    purged = cache_purge(core_outcome_set_id=cos.pk)
    assert f"/api/v1/core-outcome-sets/{cos.slug}/versions/{second.version}/" in purged
    assert stale() == []
    assert fetch(tier.proxy, f"/sets/{cos.slug}/").headers["X-Cache"] == "HIT"


def test_publishing_with_the_nginx_hook_refreshes_the_cache_after_the_commit(tier, settings):
    settings.HTTP_CACHE_PURGE_HOOK = "outcomes.services.cache_purge.nginx_refresh"
    first = version_publish(version=VersionFactory())
    latest = f"/api/v1/core-outcome-sets/{first.core_outcome_set.slug}/versions/latest/"
    assert first.version.encode() in fetch(tier.proxy, latest, Accept="application/json").body
    second = version_publish(version=version_draft_create(from_version=first))  # the purge runs on commit
    cached = fetch(tier.proxy, latest, Accept="application/json")
    assert cached.headers["X-Cache"] == "HIT"
    assert f'"version":"{second.version}"'.encode() in cached.body.replace(b" ", b"")
