"""With Redis unreachable the cache answers misses: pages, sign-in and the API keep serving."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from cos_registry.cache import FaultTolerantRedisCache
from tests.factories import UserFactory

UNREACHABLE = "redis://127.0.0.1:1/0"
UNREACHABLE_CACHE = {
    "BACKEND": "cos_registry.cache.FaultTolerantRedisCache",
    "LOCATION": UNREACHABLE,
    "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
}
# With REDIS_URL, sessions are read through their own alias (cos_registry/sessions/cached_db.py).
UNREACHABLE_CACHES = {"default": UNREACHABLE_CACHE, "sessions": UNREACHABLE_CACHE}


@pytest.fixture
def unreachable_cache() -> FaultTolerantRedisCache:
    return FaultTolerantRedisCache(UNREACHABLE, {"OPTIONS": {"socket_connect_timeout": 0.5}, "RETRY_AFTER_SECONDS": 0})


def test_an_unreachable_cache_answers_every_read_as_a_miss(unreachable_cache):
    assert unreachable_cache.get("key") is None
    assert unreachable_cache.get("key", "fallback") == "fallback"
    assert unreachable_cache.get_many(["a", "b"]) == {}
    assert unreachable_cache.has_key("key") is False
    assert unreachable_cache.get_or_set("key", "computed") == "computed"


def test_an_unreachable_cache_ignores_writes(unreachable_cache):
    unreachable_cache.set("key", 1)
    unreachable_cache.set_many({"a": 1})
    unreachable_cache.delete_many(["a"])
    assert unreachable_cache.add("key", 1) is False
    assert unreachable_cache.delete("key") is False
    with pytest.raises(ValueError, match="cache unavailable"):
        unreachable_cache.incr("key")


def test_an_unreachable_cache_logs_a_warning(unreachable_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="cos_registry.cache"):
        unreachable_cache.get("key")
    assert "Cache unavailable" in caplog.text


def test_after_a_failure_the_cache_stops_trying_for_a_moment():
    cache = FaultTolerantRedisCache(UNREACHABLE, {"RETRY_AFTER_SECONDS": 60})
    cache.get("key")
    # The breaker is open: no connection is attempted, so even a broken client is not touched.
    cache._cache = None
    assert cache.get("key", "fallback") == "fallback"


def test_max_timeout_caps_the_lifetime_of_every_entry():
    capped = FaultTolerantRedisCache(UNREACHABLE, {"MAX_TIMEOUT": 300})
    assert capped.get_backend_timeout(14 * 24 * 3600) == 300
    assert capped.get_backend_timeout(None) == 300  # "never expires" too
    assert capped.get_backend_timeout(60) == 60
    assert FaultTolerantRedisCache(UNREACHABLE, {}).get_backend_timeout(None) is None


@pytest.mark.django_db
def test_pages_keep_serving_when_the_cache_is_unreachable(client, settings, reference_data):
    settings.CACHES = UNREACHABLE_CACHES
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("web:set-detail", args=["localised-prostate-cancer-compacters"])).status_code == 200


@pytest.mark.django_db
def test_sign_in_keeps_working_when_the_cache_is_unreachable(client, settings):
    settings.CACHES = UNREACHABLE_CACHES
    UserFactory(username="curator")
    response = client.post(reverse("login"), {"username": "curator", "password": "correct-horse-battery-staple"})
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")
