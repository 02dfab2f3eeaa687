"""Sessions read through the shared cache (cos_registry/sessions/cached_db.py), the engine settings choose with Redis.

The tests run on the configured cache: the test Redis when REDIS_URL is set (as in .ci/run), where every app server
would share it, local memory otherwise. Redis down is a cache at an address nothing listens on.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from cos_registry.sessions.cached_db import SessionStore
from tests.factories import UserFactory
from tests.test_cache import UNREACHABLE_CACHE

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached_sessions(settings) -> str:
    """Sessions through the cache, on the settings' own Redis alias when there is one; returns the cache alias."""
    settings.SESSION_ENGINE = "cos_registry.sessions.cached_db"
    if "sessions" not in settings.CACHES:
        local = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cos-sessions"}
        settings.CACHES = {**settings.CACHES, "sessions": local}
    settings.SESSION_CACHE_ALIAS = "sessions"
    return "sessions"


def _sign_in(client: Client) -> tuple[str, str]:
    """Sign a new user in; returns their id and the session key of their cookie."""
    user = UserFactory()
    client.force_login(user)
    return str(user.pk), client.cookies[settings.SESSION_COOKIE_NAME].value


def _signed_in(client: Client) -> bool:
    return client.get(reverse("web:home")).wsgi_request.user.is_authenticated


def _with_cookie(session_key: str) -> Client:
    """Another browser presenting the same session cookie (one that was stolen, say)."""
    other = Client()
    other.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return other


def test_a_signed_in_session_is_read_from_the_cache_without_a_query(client, cached_sessions, django_assert_num_queries):
    user_id, key = _sign_in(client)
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == user_id


def test_a_sign_out_deletes_the_cached_session_so_no_server_serves_it_again(client, cached_sessions, reference_data):
    _, key = _sign_in(client)
    assert _signed_in(client)
    assert caches[cached_sessions].get(KEY_PREFIX + key) is not None

    assert client.post(reverse("logout")).status_code == 302
    assert caches[cached_sessions].get(KEY_PREFIX + key) is None
    assert not _signed_in(_with_cookie(key))


def test_with_redis_down_a_signed_in_user_stays_signed_in_and_can_sign_out(
    client, cached_sessions, settings, reference_data
):
    _, key = _sign_in(client)
    settings.CACHES = {**settings.CACHES, cached_sessions: UNREACHABLE_CACHE}

    assert _signed_in(client)  # read from the database
    assert client.post(reverse("logout")).status_code == 302
    assert not _signed_in(_with_cookie(key))


def test_with_redis_down_a_sign_in_holds_for_the_next_requests(client, cached_sessions, settings, reference_data):
    settings.CACHES = {**settings.CACHES, cached_sessions: UNREACHABLE_CACHE}
    UserFactory(username="curator")
    signed_in = client.post(reverse("login"), {"username": "curator", "password": "correct-horse-battery-staple"})
    assert signed_in.status_code == 302
    assert _signed_in(client)
    assert _signed_in(client)


@pytest.mark.skipif("sessions" not in settings.CACHES, reason="needs Redis (REDIS_URL=redis://...)")
def test_a_session_is_cached_in_redis_for_five_minutes_at_most(client):
    _, key = _sign_in(client)
    sessions = caches["sessions"]
    ttl = sessions._cache.get_client().ttl(sessions.make_and_validate_key(KEY_PREFIX + key))
    assert settings.SESSION_COOKIE_AGE > 300
    assert 0 < ttl <= 300
