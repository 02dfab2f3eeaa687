"""The database router's rules, without a replica: which alias a read or a write goes to (cos_registry/db_router.py).
The same rules against a real streaming replica: tests/cos_registry/test_read_replicas.py."""

from __future__ import annotations

import pytest
from django.db import transaction

from cos_registry.db_router import ReplicaRouter, current_route, reads_from
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
