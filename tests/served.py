"""The registry served by gunicorn as in production (DEBUG=0, gunicorn.conf.py, the access log on), on a free
127.0.0.1 port, for tests that need a real served request: its logs, or several worker processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def production_env(directory: Path, **extra: str) -> dict[str, str]:
    """A DEBUG=0 environment on the test database, with static files collected into `directory`."""
    db = connection.settings_dict
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    env = {
        **clean,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "COS_VAR_DIR": str(directory),
        "DJANGO_SETTINGS_MODULE": "cos_registry.settings",
        **extra,
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    return env


@dataclass
class Served:
    url: str
    access_log: Path
    output: Path  # the processes' stderr and stdout: gunicorn's error log and every Django log record

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(self.url + path, headers=headers or {})  # noqa: S310 (http://127.0.0.1)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers)


@contextmanager
def gunicorn_serving(env: dict[str, str], directory: Path, *, workers: int = 1) -> Iterator[Served]:
    """Run `gunicorn --config gunicorn.conf.py` as docs/deploy.md does; stop it (flushing its logs) on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = Served(f"http://127.0.0.1:{port}", directory / "access.log", directory / "output.log")
    with served.output.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "cos_registry.wsgi:application", "--config", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--access-logfile", str(served.access_log)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(f"gunicorn did not start: {served.output.read_text()}") from None
                    time.sleep(0.2)
            yield served
        finally:
            process.terminate()
            process.wait(timeout=30)
