"""Fault tests stop and restart services. They use a private Redis on port 6390 that they start themselves, so the
shared Redis (6379) of the other test runs is never touched. They run when COS_RUN_FAULT_TESTS=1 (.ci/run sets it).
"""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery.app.defaults import DEFAULTS

from cos_registry.celery import app as celery_app
from outcomes.services import outbox

ROOT = Path(__file__).resolve().parents[2]

PORT = 6390
URL = f"redis://127.0.0.1:{PORT}"

needs_fault_run = pytest.mark.skipif(
    os.environ.get("COS_RUN_FAULT_TESTS") != "1",
    reason="fault test: stops and restarts a private Redis on port 6390; run with COS_RUN_FAULT_TESTS=1 (.ci/run)",
)


class PrivateRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def ping(self) -> bool:
        result = subprocess.run(
            ["redis-cli", "-p", str(PORT), "ping"], capture_output=True, text=True, timeout=5, check=False
        )
        return result.stdout.strip() == "PONG"

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                "--port", str(PORT),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "yes",
                "--dir", str(self.directory),
                "--pidfile", str(self.directory / "redis.pid"),
                "--logfile", str(self.directory / "redis.log"),
            ],
            check=True,
            timeout=10,
        )  # fmt: skip
        self._wait(up=True)

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(PORT), "shutdown", "nosave"], capture_output=True, timeout=10, check=False
        )
        self._wait(up=False)

    def cli(self, *args: str) -> str:
        result = subprocess.run(["redis-cli", "-p", str(PORT), *args], capture_output=True, text=True, timeout=5)
        return result.stdout.strip()

    def _wait(self, *, up: bool) -> None:
        for _ in range(100):
            if self.ping() == up:
                return
            time.sleep(0.1)
        raise RuntimeError(f"private Redis on port {PORT} did not {'start' if up else 'stop'}")


@pytest.fixture
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: the fault tests need it")
    redis = PrivateRedis(tmp_path)
    if redis.ping():
        redis.stop()  # left over from an interrupted run of these tests
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def production_celery(monkeypatch, private_redis) -> Iterator[PrivateRedis]:
    """This process's Celery app configured as settings.py configures it in production with REDIS_URL pointing
    at the private Redis (broker, result backend if any, timeouts, retry policy), publishing for real."""
    with monkeypatch.context() as env:
        env.setenv("REDIS_URL", f"{URL}/1")
        values = runpy.run_path(str(ROOT / "cos_registry" / "settings.py"))
    production = {name[len("CELERY_") :].lower(): value for name, value in values.items() if name.startswith("CELERY_")}
    names = set(production) | {"result_backend", "task_always_eager"}
    original = {name: celery_app.conf.get(name) for name in names}

    def configure(config: dict) -> None:
        for name in names:
            celery_app.conf[name] = config.get(name, DEFAULTS.get(name))
        celery_app._pool = None  # the connection pools and the result backend hold the previous configuration
        celery_app.amqp._producer_pool = None
        celery_app._local.__dict__.pop("backend", None)
        outbox._broker_down.clear()  # a broker failure seen by an earlier test is not this test's

    configure(production)
    try:
        yield private_redis
    finally:
        configure(original)
