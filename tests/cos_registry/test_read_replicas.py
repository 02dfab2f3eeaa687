"""Public reads on a real streaming replica (cos_registry/db_router.py, outcomes.middleware.ReplicaReadsMiddleware).

Needs the replica of scripts/replica.sh (`scripts/replica.sh run pytest tests/cos_registry/test_read_replicas.py`,
as .ci/run and `make test-replicas` do). Without it these tests skip locally, and fail when COS_REQUIRE_REPLICA=1.
The tests commit (transactional): the replica only sees what the primary committed.
"""

from __future__ import annotations

import logging
import os
import subprocess
import time

import pytest
from django.conf import settings
from django.db import DatabaseError, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cos_registry.db_router import replica_aliases, replica_health_forget
from outcomes.public_reads import WROTE_COOKIE
from outcomes.services.versions import version_publish
from tests.factories import CoreOutcomeSetFactory, VersionFactory

REPLICA = "replica_1"


def _missing() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL (DATABASE_URL=postgres://...)"
    if REPLICA not in replica_aliases():
        return "needs a read replica (scripts/replica.sh run ...)"
    return None


_reason = _missing()
if _reason and os.environ.get("COS_REQUIRE_REPLICA") == "1":
    pytestmark = [pytest.mark.django_db(transaction=True)]

    @pytest.fixture(autouse=True)
    def _required():
        pytest.fail(f"COS_REQUIRE_REPLICA=1 but {_reason}")
else:
    pytestmark = [
        pytest.mark.skipif(bool(_reason), reason=_reason or ""),
        pytest.mark.django_db(transaction=True, databases=["default", REPLICA]),
    ]


def _primary(sql: str) -> object:
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def _on_replica(sql: str) -> tuple:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def replayed() -> None:
    """Wait until the replica has replayed everything the primary has written so far."""
    target = _primary("SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 30
    while _on_replica(f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn())")[0] > 0:
        assert time.monotonic() < deadline, "the replica did not catch up"
        time.sleep(0.05)


def cluster(action: str) -> None:
    version, name = os.environ.get("COS_REPLICA_CLUSTER", "15 cosreplica").split()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, name, action], check=True, timeout=120)


@pytest.fixture(autouse=True)
def replica(settings):
    """The replica alias of the test run's database (the test runner made it a mirror of the primary's)."""
    connection = connections[REPLICA]
    connection.close()
    configured = settings.DATABASES[REPLICA]
    connection.settings_dict = {
        **connections["default"].settings_dict,
        "HOST": configured["HOST"],
        "PORT": configured["PORT"],
    }
    settings.DATABASE_REPLICA_CHECK_SECONDS = 0  # every request checks again
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    replica_health_forget()
    yield connection
    connection.close()
    replica_health_forget()


@pytest.fixture
def published_set():
    version = version_publish(version=VersionFactory())
    replayed()
    return version.core_outcome_set


def _served(client, url: str, **headers):
    """The response, how many queries of the view the replica ran, and the SQL of those the primary ran."""
    with (
        CaptureQueriesContext(connections[REPLICA]) as on_replica,
        CaptureQueriesContext(connections["default"]) as on_primary,
    ):
        response = client.get(url, **headers)

    # The health check (the primary's WAL position, the replica's replay position) is not the view's work.
    def of_the_view(queries: list[dict]) -> list[str]:
        return [
            q["sql"] for q in queries if "pg_current_wal_lsn" not in q["sql"] and "pg_is_in_recovery" not in q["sql"]
        ]

    return response, len(of_the_view(on_replica.captured_queries)), of_the_view(on_primary.captured_queries)


def test_the_replica_is_a_server_in_recovery_on_its_own_port(replica):
    in_recovery, port = _on_replica("SELECT pg_is_in_recovery(), inet_server_port()")
    assert in_recovery is True
    assert port == int(settings.DATABASES[REPLICA]["PORT"]) != int(connections["default"].settings_dict["PORT"])


def test_a_public_page_and_the_public_api_are_read_from_the_replica(client, published_set):
    for url in (
        reverse("web:set-detail", args=[published_set.slug]),
        reverse("api:cos-list"),
        reverse("api:version-export", args=[published_set.slug, "latest", "csv"]),
    ):
        response, replica_queries, primary_sql = _served(client, url)
        assert response.status_code == 200, url
        assert replica_queries > 0 and primary_sql == [], (url, primary_sql)
    assert published_set.title.encode() in client.get(reverse("web:set-detail", args=[published_set.slug])).content


def test_writes_are_refused_by_the_replica(replica, published_set):
    with pytest.raises(DatabaseError, match="read-only"), replica.cursor() as cursor:
        cursor.execute("UPDATE outcomes_coreoutcomeset SET title = 'changed' WHERE id = %s", [published_set.pk])


def test_signed_in_users_and_consensus_requests_read_from_the_primary(client, curator, published_set):
    client.force_login(curator)
    response, replica_queries, _ = _served(client, reverse("web:set-detail", args=[published_set.slug]))
    assert response.status_code == 200 and replica_queries == 0
    client.logout()
    response, replica_queries, _ = _served(client, reverse("api:consensus-process-list"))
    assert replica_queries == 0


def test_a_client_that_wrote_reads_its_write_from_the_primary_while_the_replica_lags(client, replica, published_set):
    response = client.post(reverse("login"), {"username": "nobody", "password": "wrong-password"})
    assert response.cookies[WROTE_COOKIE]["max-age"] == settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    _on_replica("SELECT pg_wal_replay_pause()::text")
    try:
        new = CoreOutcomeSetFactory(title="Synthetic set written while the replica is paused")
        url = reverse("web:set-detail", args=[new.slug])
        # This client wrote: the primary answers, with the new set.
        response, replica_queries, _ = _served(client, url)
        assert response.status_code == 200 and replica_queries == 0
        # Another client, within the lag bound, may be answered by the replica, which has not seen it yet.
        other, replica_queries, _ = _served(client.__class__(), url)
        assert other.status_code == 404 and replica_queries > 0
    finally:
        _on_replica("SELECT pg_wal_replay_resume()::text")
    replayed()


def test_a_replica_lagging_beyond_the_bound_is_skipped_and_logged(client, replica, published_set, settings, caplog):
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 1
    _on_replica("SELECT pg_wal_replay_pause()::text")
    try:
        new = CoreOutcomeSetFactory(title="Synthetic set the paused replica has not replayed")
        time.sleep(1.5)  # the replica's last replayed commit is now older than the bound
        with caplog.at_level(logging.WARNING, logger="cos_registry.db_router"):
            response, replica_queries, _ = _served(client, reverse("web:set-detail", args=[new.slug]))
        assert response.status_code == 200 and replica_queries == 0
        assert "Read replica replica_1 skipped: lagging" in caplog.text
    finally:
        _on_replica("SELECT pg_wal_replay_resume()::text")
    replayed()
    replica_health_forget()
    _, replica_queries, _ = _served(client, reverse("web:set-detail", args=[new.slug]))
    assert replica_queries > 0  # caught up: back in use


def test_a_stopped_replica_is_skipped_and_fails_no_request(client, replica, published_set, settings, caplog):
    url = reverse("web:set-detail", args=[published_set.slug])
    settings.DATABASE_REPLICA_CHECK_SECONDS = 20  # the replica is known healthy when it stops
    _, replica_queries, _ = _served(client, url)
    assert replica_queries > 0
    cluster("stop")
    try:
        with caplog.at_level(logging.WARNING, logger="cos_registry.db_router"):
            # Stopped under a request: the view runs again on the primary.
            response = client.get(url)
            assert response.status_code == 200
            assert "failed during a request, retrying on the primary" in caplog.text
            # Then skipped by its health check until it answers again.
            replica_health_forget()
            settings.DATABASE_REPLICA_CHECK_SECONDS = 0
            response = client.get(url)
            assert response.status_code == 200 and published_set.title.encode() in response.content
            assert "Read replica replica_1 skipped: unreachable" in caplog.text
    finally:
        cluster("start")
    deadline = time.monotonic() + 60
    while True:
        try:
            replayed()
            break
        except DatabaseError:
            replica.close()
            assert time.monotonic() < deadline, "the replica did not come back"
            time.sleep(0.5)
    replica_health_forget()
    _, replica_queries, _ = _served(client, url)
    assert replica_queries > 0
