"""Forged credentials and format strings that once reached PostgreSQL or Python's %-formatting as 500s."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cos_registry.sessions import SessionStore
from cos_registry.sessions.cached_db import SessionStore as CachedSessionStore

pytestmark = pytest.mark.django_db

SESSION_ENGINES = ["cos_registry.sessions", "cos_registry.sessions.cached_db"]


@pytest.mark.parametrize("store", [SessionStore, CachedSessionStore])
def test_a_session_key_django_never_issues_is_treated_as_no_session(store):
    assert store("a" * 31 + "\x00").session_key is None
    assert store("../../etc/passwd").session_key is None
    issued = store()
    issued.create()
    assert store(issued.session_key).session_key == issued.session_key


@pytest.mark.parametrize("engine", SESSION_ENGINES)
def test_a_forged_session_cookie_leaves_the_visitor_anonymous(client, settings, reference_data, engine):
    settings.SESSION_ENGINE = engine
    client.cookies["sessionid"] = "not-a-session-key-%00-with-punctuation"
    response = client.get(reverse("api:cos-list"))
    assert response.status_code == 200
    assert response.wsgi_request.user.is_anonymous


def test_a_malformed_api_token_is_refused_in_the_error_shape(client, reference_data):
    response = client.get(reverse("api:cos-list"), HTTP_AUTHORIZATION="Token abc\x00def")
    # DRF answers 403 rather than 401 because session authentication comes first (no WWW-Authenticate challenge).
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "Invalid token."


@pytest.mark.parametrize("value", ["%s", "%(x)s", "I50%d"])
def test_a_filter_value_with_format_characters_is_a_field_error_not_a_crash(client, reference_data, value):
    response = client.get(reverse("api:cos-list"), {"icd10": value})
    assert response.status_code == 400
    assert value in response.json()["error"]["fields"]["icd10"][0]
