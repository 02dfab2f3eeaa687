"""Redis down or restarted empty: a committed write answers at once, and every queued task is done exactly once.

The Celery app is configured as settings.py configures it in production (broker, result backend if any, timeouts),
pointed at the private Redis, which the tests stop and restart without persistence.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from outcomes.models import AuditEvent, ConsensusProcess, OutboxMessage, Panelist, Round
from outcomes.services import consensus as svc
from outcomes.tasks import outbox_relay
from tests.conftest import requires_postgres
from tests.factories import UserFactory
from tests.faults.conftest import ROOT, URL, needs_fault_run
from tests.outcomes.consensus.conftest import make_process, open_first_round

pytestmark = [pytest.mark.faults, needs_fault_run]

# A request that commits may spend at most this long on a broker that is down (the connect timeout is 2 s).
QUICK = 5.0


def queued(redis) -> int:
    return int(redis.cli("-n", "1", "llen", "celery") or 0)


@pytest.mark.django_db
def test_invitations_and_a_round_close_answer_at_once_while_redis_is_down_and_wait_in_the_outbox(
    reference_data, production_celery, django_capture_on_commit_callbacks
):
    redis = production_celery
    facilitator = UserFactory(username="facilitator")
    process = make_process(facilitator)
    round_ = open_first_round(process, facilitator)
    client = APIClient()
    client.force_authenticate(facilitator)

    redis.stop()
    for i in range(3):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("api:consensus-panelists", args=[process.pk]), {"email": f"p{i}@example.org"}, format="json"
            )
        assert response.status_code == 201, response.content
        assert time.monotonic() - started < QUICK
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        closed = client.post(reverse("api:consensus-round-close", args=[round_.pk]))
    assert closed.status_code == 200, closed.content
    assert time.monotonic() - started < QUICK
    assert Panelist.objects.filter(process=process).count() == 3
    assert Round.objects.get(pk=round_.pk).status == Round.Status.CLOSED
    assert OutboxMessage.objects.filter(sent_at__isnull=True, done_at__isnull=True).count() == 4

    redis.start()
    assert outbox_relay() == 4
    assert queued(redis) == 4


@pytest.mark.django_db
def test_the_demo_data_loads_while_redis_is_down(reference_data, production_celery, django_capture_on_commit_callbacks):
    production_celery.stop()
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_demo_data", stdout=io.StringIO())
    assert ConsensusProcess.objects.filter(title__startswith="DEMO").exists()
    assert time.monotonic() - started < 120


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_invitations_queued_before_redis_restarts_empty_are_each_emailed_exactly_once(
    reference_data, production_celery, settings, tmp_path
):
    redis = production_celery
    facilitator = UserFactory(username="facilitator")
    process = make_process(facilitator)
    emails = [f"p{i}@example.org" for i in range(3)]
    # The worker is stopped: the three invitations are published and wait on the broker.
    panelists = [svc.panelist_invite(process=process, email=email, by=facilitator) for email in emails]
    assert queued(redis) == 3
    assert OutboxMessage.objects.filter(sent_at__isnull=False, done_at__isnull=True).count() == 3

    redis.stop()
    redis.start()  # without persistence: the queue is gone
    assert queued(redis) == 0

    # Past the deadline the relay sends them again; twice, so each task is queued twice.
    settings.OUTBOX_REDELIVER_SECONDS = 1
    for _ in range(2):
        time.sleep(1.1)
        assert outbox_relay() == 3
    assert queued(redis) == 6

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": f"{URL}/1",
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "cos_registry.settings",
        "OUTBOX_REDELIVER_SECONDS": "3600",
    }
    env.pop("EMAIL_URL", None)  # the console backend: the emails are in the worker's log
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cos_registry", "worker", "--pool", "solo",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO", "-n", "outbox@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for(
                lambda: not OutboxMessage.objects.filter(done_at__isnull=True).exists() and queued(redis) == 0,
                timeout=90,
                what="the worker to run every queued task",
            )
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
    text = log_path.read_text()
    for email, panelist in zip(emails, panelists, strict=True):
        assert text.count(f"To: {email}") == 1, text[-3000:]
        # One link was issued for the one email (and the worker's log does not show it).
        issued = AuditEvent.objects.filter(action="consensus.panelist_token_issue", object_id=str(panelist.pk))
        assert issued.count() == 1
    assert "/panel/t/[redacted]/" in text and not re.search(r"/panel/t/(?!\[redacted\])", text)
