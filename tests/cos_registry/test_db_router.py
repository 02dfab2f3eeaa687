"""The database router's rules, without a replica: which alias a read or a write goes to (cos_registry/db_router.py).
The same rules against a real streaming replica: tests/cos_registry/test_read_replicas.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from cos_registry.db_router import ReplicaRouter, current_route, reads_from
from cos_registry.env import env_database_replicas
from outcomes.models import CoreOutcomeSet

router = ReplicaRouter()


def test_reads_and_writes_go_to_the_primary_outside_a_public_read():
    # Celery tasks, management commands and every non-public request run outside `reads_from`.
    assert current_route() is None
    assert router.db_for_read(CoreOutcomeSet) == "default"
    assert router.db_for_write(CoreOutcomeSet) == "default"


def test_reads_of_a_public_read_go_to_its_replica_and_writes_to_the_primary():
    with reads_from("replica_1"):
        assert router.db_for_read(CoreOutcomeSet) == "replica_1"
        assert router.db_for_write(CoreOutcomeSet) == "default"
    assert router.db_for_read(CoreOutcomeSet) == "default"


def test_reads_after_the_first_write_of_a_request_return_to_the_primary():
    with reads_from("replica_1") as route:
        router.db_for_write(CoreOutcomeSet)
        assert route.wrote
        assert router.db_for_read(CoreOutcomeSet) == "default"


@pytest.mark.django_db
def test_reads_inside_a_transaction_go_to_the_primary():
    with reads_from("replica_1"), transaction.atomic():
        assert router.db_for_read(CoreOutcomeSet) == "default"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "outcomes")
    assert not router.allow_migrate("replica_1", "outcomes")


PRIMARY = {"ENGINE": "django.db.backends.postgresql", "NAME": "cos"}


def test_replica_urls_are_read_as_postgresql_databases(monkeypatch):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", "postgres://u@replica-a:5433/cos, postgres://u@replica-b/cos")
    replicas = env_database_replicas("DATABASE_REPLICA_URLS", primary=PRIMARY)
    assert [(r["HOST"], r["PORT"], r["NAME"]) for r in replicas] == [
        ("replica-a", 5433, "cos"),
        ("replica-b", "", "cos"),
    ]


def test_no_replica_urls_means_no_replicas(monkeypatch):
    monkeypatch.delenv("DATABASE_REPLICA_URLS", raising=False)
    assert env_database_replicas("DATABASE_REPLICA_URLS", primary=PRIMARY) == []


@pytest.mark.parametrize(
    ("urls", "primary", "message"),
    [
        ("postgres://u@r/cos", {"ENGINE": "django.db.backends.sqlite3"}, "needs a PostgreSQL primary"),
        ("sqlite:///x.db", PRIMARY, "must list postgres:// URLs"),
        ("postgres://u@r:5433/", PRIMARY, "must name a database"),
    ],
)
def test_bad_replica_urls_stop_start_up_with_the_variable_named(monkeypatch, urls, primary, message):
    monkeypatch.setenv("DATABASE_REPLICA_URLS", urls)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_database_replicas("DATABASE_REPLICA_URLS", primary=primary)
