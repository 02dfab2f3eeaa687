"""Passwords are hashed with Argon2; a user whose password was hashed with PBKDF2 (the previous default) still signs
in, and their hash is rewritten with Argon2 at that sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def production_hashers(settings):
    """The production list (tests/conftest.py swaps in MD5 for speed): read from the settings module itself."""
    import importlib

    import cos_registry.settings as module

    settings.PASSWORD_HASHERS = importlib.reload(module).PASSWORD_HASHERS
    return settings.PASSWORD_HASHERS


def test_argon2_is_the_first_hasher_and_pbkdf2_is_still_readable(production_hashers):
    assert production_hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in production_hashers


def test_a_new_password_is_hashed_with_argon2(production_hashers):
    assert make_password(PASSWORD).startswith("argon2$")


def test_a_pbkdf2_user_signs_in_and_their_hash_is_upgraded_to_argon2(client, production_hashers):
    user = UserFactory(username="old-account")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = client.post(reverse("login"), {"username": "old-account", "password": PASSWORD})

    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(user.pk)
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert user.check_password(PASSWORD)


def test_a_wrong_password_for_a_pbkdf2_user_is_refused_and_the_hash_is_kept(client, production_hashers):
    user = UserFactory(username="old-account")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    response = client.post(reverse("login"), {"username": "old-account", "password": "not-the-password"})

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
