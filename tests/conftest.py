from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache

from cos_registry.celery import app as celery_app
from outcomes.models import OutcomeDomain
from outcomes.services.reference_data import reference_data_load
from tests.factories import CuratorFactory, FacilitatorFactory, OutsiderFactory


def pytest_configure(config) -> None:
    """Hash test passwords with a fast hasher: the production hasher is slow on purpose, and the suite creates
    hundreds of users. Tests of the production hasher override this with the ``settings`` fixture."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings):
    """Tasks run in-process and the cache starts empty, whatever REDIS_URL says."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
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
