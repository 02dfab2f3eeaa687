"""Typed helpers that read settings from the environment.

A bad value stops start-up with one line naming the variable (ImproperlyConfigured), never a traceback
from deep inside Django.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_int_list(name: str, default: list[int]) -> list[int]:
    """Whole numbers (0 or more), comma-separated: "30,120,480"."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not all(item.isdecimal() for item in items):
        raise ImproperlyConfigured(f"{name} must be whole numbers separated by commas, got {raw!r}")
    return [int(item) for item in items]


# Addresses that mean "every interface": a link to them works nowhere, so the default names this machine instead.
_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}  # noqa: S104 (recognised, not bound)


def env_site_url(name: str, *, host: str, port: int) -> str:
    """The site's public address without a trailing slash. Unset, it is the address being served,
    http://HOST:PORT (a wildcard bind such as 0.0.0.0 becomes 127.0.0.1)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        host = "127.0.0.1" if host.strip() in _WILDCARD_HOSTS else host.strip()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{port}"
    scheme, _, rest = raw.partition("://")
    if scheme not in ("http", "https") or not rest.strip("/"):
        raise ImproperlyConfigured(f"{name} must be an http:// or https:// address, got {raw!r}")
    return raw.rstrip("/")


def env_database(name: str, default: str) -> dict:
    raw = os.environ.get(name) or default
    if "://" not in raw:
        raise ImproperlyConfigured(f"{name} is not a database URL (expected scheme://...), got {raw!r}")
    scheme = raw.split("://", 1)[0]
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"{name} must use sqlite:// or postgres://, got scheme {scheme!r}")
    try:
        config = environ.Env.db_url_config(raw)
    except Exception as exc:  # django-environ raises several types for a malformed URL
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from None
    if scheme != "sqlite" and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a database, got {raw!r}")
    return config


def env_database_replicas(name: str, *, primary: dict) -> list[dict]:
    """Read replicas of the primary database: comma-separated postgres:// URLs (none when unset)."""
    urls = env_list(name, [])
    if urls and primary["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"{name} needs a PostgreSQL primary (DATABASE_URL=postgres://...)")
    replicas = []
    for url in urls:
        if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
            raise ImproperlyConfigured(f"{name} must list postgres:// URLs, got {url!r}")
        try:
            config = environ.Env.db_url_config(url)
        except Exception as exc:  # django-environ raises several types for a malformed URL
            raise ImproperlyConfigured(f"{name} has a malformed URL: {exc}") from None
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} must name a database in each URL, got {url!r}")
        replicas.append(config)
    return replicas


def env_redis_url(name: str) -> str:
    raw = os.environ.get(name, "").strip()
    if raw and not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name} must be a redis:// URL, got {raw!r}")
    return raw


def env_secret_key(name: str, *, debug: bool, key_file: Path) -> str:
    """The secret key: required in production; generated once into var/ for development."""
    raw = os.environ.get(name, "")
    if raw:
        return raw
    if not debug:
        raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")
    key_file.parent.mkdir(parents=True, exist_ok=True)
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
