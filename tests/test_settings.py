"""Start-up with bad settings stops with one clear line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL"),
        ({"DEBUG": "0"}, "SECRET_KEY"),
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL"),
        ({"DB_CONN_MAX_AGE": "forever"}, "DB_CONN_MAX_AGE"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_the_variable(env, variable):
    result = _manage("check", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Configuration error: ")
    assert variable in lines[0]
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "cos.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "COS_VAR_DIR": str(tmp_path),
    }
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_generates_a_secret_key_outside_the_repository(tmp_path):
    env = {"COS_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    assert _manage("check", env=env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert _manage("check", env=env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key  # generated once, then reused


def _printed(expression: str, env: dict[str, str], unset: set[str]) -> str:
    """What `expression` prints with the settings of `env`, the variables in `unset` removed from this one."""
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    result = subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cos_registry.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _site_url(env: dict[str, str]) -> str:
    return _printed("settings.SITE_URL", env, unset={"SITE_URL", "HOST", "PORT"})


@pytest.mark.parametrize(
    ("env", "site_url"),
    [
        ({}, "http://127.0.0.1:8000"),
        ({"HOST": "127.0.0.1", "PORT": "9123"}, "http://127.0.0.1:9123"),
        ({"HOST": "0.0.0.0", "PORT": "8080"}, "http://127.0.0.1:8080"),  # noqa: S104
        ({"HOST": "::1", "PORT": "8080"}, "http://[::1]:8080"),
        ({"HOST": "0.0.0.0", "PORT": "9123", "SITE_URL": "https://cos.example.org/"}, "https://cos.example.org"),  # noqa: S104
    ],
)
def test_site_url_defaults_to_the_served_address_unless_it_is_set(env, site_url):
    assert _site_url(env) == site_url


def test_the_serve_script_exports_the_served_address_to_the_settings():
    script = (ROOT / "scripts" / "serve.sh").read_text()
    assert "export HOST PORT" in script
    assert "export HOST PORT" in (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("value", ["cos.example.org", "ftp://cos.example.org", "https://"])
def test_a_site_url_that_is_not_an_http_address_stops_start_up(value):
    result = _manage("check", env={"SITE_URL": value})
    assert result.returncode != 0
    assert result.stderr.strip().startswith("Configuration error: ") and "SITE_URL" in result.stderr


@pytest.mark.parametrize(
    ("env", "sessions"),
    [
        ({}, "cos_registry.sessions default None"),
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, "cos_registry.sessions.cached_db sessions 300"),
    ],
)
def test_sessions_are_read_through_the_cache_only_when_it_is_redis(env, sessions):
    expression = (
        "settings.SESSION_ENGINE, settings.SESSION_CACHE_ALIAS, settings.CACHES.get('sessions', {}).get('MAX_TIMEOUT')"
    )
    assert _printed(expression, env, unset={"REDIS_URL"}) == sessions


def test_postgresql_connections_run_without_jit_and_without_synchronized_scans():
    """JIT compiled the list and search queries for longer than they ran; synchronized scans made which sets are
    the search engine's candidates depend on what else was scanning the table (docs/web.md, "Answers kept")."""
    options = _printed(
        "settings.DATABASES['default']['OPTIONS']['options']",
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/cos_registry"},
        unset={"DATABASE_URL"},
    )
    assert options.split() == ["-c", "jit=off", "-c", "synchronize_seqscans=off"]
