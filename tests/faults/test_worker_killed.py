"""A Celery worker killed in the middle of a task: the task runs again and gives the same result.

A real worker (prefork, one child) runs against the private Redis and the test database. The test holds a lock on
a table the task reads, so the task is stuck half-way (its output file opened, not finished) when the test
SIGKILLs the child. acks_late + reject_on_worker_lost put the message back; a new child runs the task again.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from outcomes.services.backup import registry_backup_write
from outcomes.tasks import registry_backup
from tests.conftest import requires_postgres
from tests.faults.conftest import URL, needs_fault_run

pytestmark = [pytest.mark.faults, needs_fault_run, requires_postgres]

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.django_db(transaction=True)
def test_a_backup_task_killed_mid_run_runs_again_and_writes_the_same_backup(
    reference_data, private_redis, celery_broker, tmp_path
):
    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
        f"/{settings_dict['NAME']}"
    )
    broker = f"{URL}/2"
    target = tmp_path / "registry.xml.gz"
    expected = gzip.decompress(registry_backup_write(path=tmp_path / "expected.xml.gz").read_bytes())

    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict["USER"],
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
    }
    blocker = psycopg2.connect(**params)
    # pg_stat_activity is a snapshot per transaction: watch from a separate autocommit connection.
    watcher = psycopg2.connect(**params)
    watcher.autocommit = True
    blocker.cursor().execute("LOCK TABLE outcomes_outcome IN ACCESS EXCLUSIVE MODE")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "cos_registry.settings",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cos_registry", "worker", "--pool", "prefork", "--concurrency", "1",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO", "-n", "faults@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        celery_broker(broker)
        registry_backup.apply_async(kwargs={"path": str(target)})

        def stuck_backends() -> set[int]:
            with watcher.cursor() as cursor:
                cursor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'"
                    " AND query ILIKE %s",
                    [settings_dict["NAME"], "%outcomes_outcome%"],
                )
                return {row[0] for row in cursor.fetchall()}

        [first_backend] = wait_for(stuck_backends, timeout=60, what="the task to block half-way through the backup")
        assert not target.exists()
        [child] = wait_for(lambda: children(worker.pid), timeout=10, what="the worker's pool process")
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: not alive(child), timeout=10, what="the killed child to exit")

        # The message went back to the queue and a new child runs the task again (it blocks on the lock too).
        # The killed child's server process may still wait on the lock: PostgreSQL notices the lost client later.
        wait_for(
            lambda: stuck_backends() - {first_backend},
            timeout=90,
            what="the task to run again in a new pool process",
        )
        assert not target.exists()
        blocker.rollback()  # release the lock: the second run completes

        wait_for(target.exists, timeout=60, what="the backup written by the second run")
        assert gzip.decompress(target.read_bytes()) == expected
        assert not (tmp_path / f".{target.name}").exists()  # the killed run left no partial file behind
    finally:
        blocker.close()
        watcher.close()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert "WorkerLostError" in (tmp_path / "worker.log").read_text()
