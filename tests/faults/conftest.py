"""Fault tests stop and restart services. They use a private Redis on port 6390 that they start themselves, so the
shared Redis (6379) of the other test runs is never touched. They run when COS_RUN_FAULT_TESTS=1 (.ci/run sets it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

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
