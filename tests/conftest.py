from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test.signals import clear_cache_handlers
from pytest_django.plugin import blocking_manager_key, validate_django_db

from cos_registry.cache import FaultTolerantRedisCache
from cos_registry.celery import app as celery_app
from outcomes.models import OutcomeDomain
from outcomes.services.reference_data import reference_data_load
from outcomes.trials import inputs as trial_inputs
from tests.factories import CuratorFactory, FacilitatorFactory, OutsiderFactory


def pytest_configure(config) -> None:
    """Hash test passwords with a fast hasher: the production hasher is slow on purpose, and the suite creates
    hundreds of users. Tests of the production hasher override this with the ``settings`` fixture.

    In a parallel run (`make test`: pytest-xdist sets PYTEST_XDIST_WORKER in each process) each worker has its own
    test database, and its own share of the Redis cache (below)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and settings.CACHES["default"]["BACKEND"] == "cos_registry.cache.FaultTolerantRedisCache":
        default = settings.CACHES["default"]
        prefix = f"{default.get('KEY_PREFIX', '')}-{worker}"
        settings.CACHES = {
            **settings.CACHES,
            "default": {**default, "BACKEND": f"{__name__}.WorkerRedisCache", "KEY_PREFIX": prefix},
        }
        clear_cache_handlers(setting="CACHES")


class WorkerRedisCache(FaultTolerantRedisCache):
    """The cache of one process of a parallel run, where the processes share one Redis database: its keys carry
    the worker's prefix and clearing it deletes only those. Redis' FLUSHDB would reset another worker's rate-limit
    counters in the middle of its test."""

    def clear(self) -> bool:
        client = self._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        return True


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Keep together, on one worker of a parallel run (`--dist loadgroup`), the tests that must not run at the same
    time or that share a costly fixture: the fault tests (one private Redis on a fixed port) and each module with a
    module-scoped fixture (the permission matrix's world, the browser, the production server's answers)."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = item.nodeid.split("::")[0]
        if item.get_closest_marker("faults") or path.startswith("tests/faults/"):
            item.add_marker(pytest.mark.xdist_group("faults"))
            continue
        info = getattr(item, "_fixtureinfo", None)
        ours = [d for defs in (info.name2fixturedefs.values() if info else ()) for d in defs if _is_ours(d)]
        if any(d.scope in ("module", "class", "package") for d in ours):
            item.add_marker(pytest.mark.xdist_group(path))


def _is_ours(fixturedef) -> bool:
    return getattr(fixturedef.func, "__module__", "").startswith("tests.")


def _flushes_the_database(item: pytest.Item) -> bool:
    """A transactional test (pytest-django's rule): Django empties every table after it."""
    marker = item.get_closest_marker("django_db")
    if marker:
        transaction, reset_sequences, *_ = validate_django_db(marker)
        if transaction or reset_sequences:
            return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Put the reference data back once a transactional test has flushed it, outside any test's transaction, so
    that every later test finds it whatever order the tests run in (a parallel run does not keep pytest-django's
    order, which puts transactional tests last)."""
    yield
    if nextitem is not None and _flushes_the_database(item):
        with item.config.stash[blocking_manager_key].unblock():
            if OutcomeDomain.objects.count() != 38:
                reference_data_load()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the reference data once into the test database; every test then rolls back to it."""
    with django_db_blocker.unblock():
        reference_data_load()


@pytest.fixture
def reference_data(db) -> None:
    """The COMET taxonomy and the BD4BO sets; reloaded when a transactional test has flushed them."""
    if OutcomeDomain.objects.count() != 38:
        reference_data_load()


# The named users of permission tests, defined once in tests/factories.py. Each test makes its own: a user costs a
# millisecond with the test hasher, while one shared across tests would outlive the flush of a transactional test and
# meet tests that count users or create their own "admin".
@pytest.fixture
def curator(db):
    return CuratorFactory()


@pytest.fixture
def facilitator(db):
    return FacilitatorFactory()


@pytest.fixture
def outsider(db):
    return OutsiderFactory()


def _no_network(url: str) -> bytes:
    raise trial_inputs.FetchError(f"tests do not reach {url}")


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings, monkeypatch):
    """Tasks run in-process, the cache starts empty, whatever REDIS_URL says, and nothing is fetched from the
    internet."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    # No test reaches ClinicalTrials.gov: a test that fetches a record replaces this with a recorded response.
    monkeypatch.setattr(trial_inputs, "http_fetch", _no_network)
    yield
    cache.clear()


def is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


# Concurrency and trigger tests that only PostgreSQL can answer run in CI (.ci/run sets DATABASE_URL).
requires_postgres = pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (DATABASE_URL=postgres://...)")


@pytest.fixture
def celery_broker():
    """Point the Celery app at a broker URL for one test, publishing for real (not eagerly)."""
    original = celery_app.conf.broker_url

    def use(url: str) -> None:
        celery_app.conf.task_always_eager = False
        celery_app.conf.broker_url = url
        celery_app._pool = None  # the connection pools hold the previous URL
        celery_app.amqp._producer_pool = None

    yield use
    use(original)
    celery_app.conf.task_always_eager = True


@pytest.fixture
def rate_limit_clock(monkeypatch) -> float:
    """Rate limits count per fixed window (outcomes/ratelimit.py): hold their clock still for the test, so a test
    slowed down by a busy machine never straddles two windows and sees its count restart. Returns the held time."""
    import time
    import types

    from outcomes import ratelimit

    now = time.time()
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))
    return now
