"""Hostile input and production hardening: rate limits, CSRF, escaping, path traversal, security headers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from outcomes.models import CoreOutcomeSetVersion
from outcomes.ratelimit import parse_rate
from outcomes.services.audit import audit_record
from outcomes.services.versions import version_publish
from tests.factories import (
    CoreOutcomeSetFactory,
    MeasurementFactory,
    OutcomeFactory,
    SiteAdminFactory,
    UserFactory,
    VersionFactory,
)

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct-horse-battery-staple"
SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

# Rate limits count per fixed window: their clock is held still in every test here (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("rate_limit_clock")


# Rate limits -------------------------------------------------------------------------------------------------


def sign_in(client: Client, password: str, ip: str = "203.0.113.7"):
    return client.post(reverse("login"), {"username": "curator", "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_sign_in_attempts_beyond_the_limit_answer_429_with_a_clear_message(client, settings):
    UserFactory(username="curator")
    limit, _ = parse_rate(settings.LOGIN_RATE_LIMIT)
    for _ in range(limit):
        assert sign_in(client, "wrong-password").status_code == 200  # the form, with its error
    response = sign_in(client, PASSWORD)  # even the right password: the limit is per attempt
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_sign_in_limit_counts_each_address_separately(client, settings):
    UserFactory(username="curator")
    limit, _ = parse_rate(settings.LOGIN_RATE_LIMIT)
    for _ in range(limit + 1):
        sign_in(client, "wrong-password", ip="203.0.113.7")
    assert sign_in(client, PASSWORD, ip="198.51.100.2").status_code == 302


@pytest.mark.django_db
def test_viewing_the_sign_in_form_is_not_counted_as_an_attempt(client, settings):
    UserFactory(username="curator")
    limit, _ = parse_rate(settings.LOGIN_RATE_LIMIT)
    for _ in range(limit + 5):
        assert client.get(reverse("login")).status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_admin_sign_in_shares_the_sign_in_limit(client, settings):
    UserFactory(username="curator")
    limit, _ = parse_rate(settings.LOGIN_RATE_LIMIT)
    for _ in range(limit):
        sign_in(client, "wrong-password")
    response = client.post(
        reverse("admin:login"), {"username": "curator", "password": PASSWORD}, REMOTE_ADDR="203.0.113.7"
    )
    assert response.status_code == 429


@pytest.mark.parametrize("rate", ["10", "ten/m", "10/d", "/m"])
def test_a_malformed_rate_is_refused(rate):
    with pytest.raises(ValueError, match="rate looks like"):
        parse_rate(rate)


# Passwords and CSRF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901", "curator-curator"])
def test_weak_passwords_are_refused_by_the_validators(password):
    user = UserFactory.build(username="curator-curator")
    with pytest.raises(ValidationError):
        validate_password(password, user)


@pytest.mark.django_db
def test_a_forged_sign_in_without_a_csrf_token_is_refused():
    UserFactory(username="curator")
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "curator", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_forged_sign_out_from_another_site_is_refused():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="curator"))
    response = client.post(reverse("logout"), HTTP_ORIGIN="https://evil.example", HTTP_REFERER="https://evil.example/")
    assert response.status_code == 403
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_a_sign_in_with_its_csrf_token_is_accepted():
    UserFactory(username="curator")
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("login"), {"username": "curator", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


# Escaping ----------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_set(reference_data):
    cos = CoreOutcomeSetFactory(title=f"Set {SCRIPT}", developers=SCRIPT, scope_population=SCRIPT)
    version = VersionFactory(core_outcome_set=cos, changelog=SCRIPT)
    outcome = OutcomeFactory(version=version, name=f"Outcome {SCRIPT}", definition=SCRIPT, note=SCRIPT)
    MeasurementFactory(outcome=outcome, timing=SCRIPT)
    version_publish(version=version)
    audit_record(action="version.note", obj=version, actor_label=SCRIPT, after={"note": SCRIPT})
    return cos


@pytest.mark.django_db
def test_html_and_script_in_names_and_definitions_are_escaped_on_every_page(client, hostile_set):
    client.force_login(SiteAdminFactory())
    home = client.get(reverse("web:home")).content.decode()
    assert SCRIPT not in home
    urls = [
        reverse("web:disease-area", args=[hostile_set.disease_area.slug]),
        reverse("web:set-detail", args=[hostile_set.slug]),
        reverse("audit:log"),
        reverse("admin:outcomes_coreoutcomeset_changelist"),
        # Searched: the reference data alone fills the first page of outcomes.
        reverse("admin:outcomes_outcome_changelist") + "?q=alert",
        reverse("admin:outcomes_auditevent_changelist"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SCRIPT not in body, url
        assert "alert(1)" in body, url  # the text is shown, escaped
    set_page = client.get(reverse("web:set-detail", args=[hostile_set.slug])).content.decode()
    assert f"Outcome {ESCAPED}" in set_page


# Path traversal ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/sets/../../etc/passwd/",
        "/sets/..%2F..%2Fetc%2Fpasswd/",
        "/sets/%2e%2e%2f%2e%2e%2fcos_registry%2fsettings.py/",
        "/areas/....//....//etc/passwd/",
        "/areas/%252e%252e%252fetc%252fpasswd/",
        "/static/../cos_registry/settings.py",
        "/static/%2e%2e/cos_registry/settings.py",
        "/sets/..\\..\\windows\\win.ini/",
    ],
)
def test_path_traversal_in_slugs_is_not_found_and_reads_no_file(client, path):
    response = client.get(path)
    assert response.status_code == 404
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert b"root:" not in body
    assert b"SECRET_KEY" not in body


# Production settings -----------------------------------------------------------------------------------------

_PROBE = """
import json, django
django.setup()
from django.test import Client
from django.conf import settings
client = Client()
secure = client.get("/accounts/login/", secure=True, headers={"host": "cos.example.org"})
plain = client.get("/accounts/login/", headers={"host": "cos.example.org"})
print(json.dumps({
    "status": secure.status_code,
    "headers": dict(secure.headers),
    "cookies": {name: dict(morsel) for name, morsel in secure.cookies.items()},
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
}))
"""


@pytest.fixture(scope="module")
def production_response(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("prod")
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG"}}
    env = {
        **clean,
        "DEBUG": "0",
        "SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
        "ALLOWED_HOSTS": "cos.example.org",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "COS_VAR_DIR": str(tmp),
        "DJANGO_SETTINGS_MODULE": "cos_registry.settings",
    }
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production_response):
    assert production_response["plain_status"] == 301
    assert production_response["plain_location"].startswith("https://cos.example.org/")


def test_production_sends_hsts_frame_and_content_type_headers(production_response):
    headers = production_response["headers"]
    assert production_response["status"] == 200
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "includeSubDomains" in headers["Strict-Transport-Security"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"


def test_production_sends_a_strict_content_security_policy(production_response):
    policy = dict(
        part.strip().split(" ", 1) for part in production_response["headers"]["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval', no other origin
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"


def test_production_cookies_are_secure(production_response):
    assert production_response["session_cookie_secure"] is True
    csrf = production_response["cookies"]["csrftoken"]
    assert csrf["secure"] is True
    assert csrf["samesite"] == "Lax"


@pytest.mark.django_db
def test_a_draft_version_is_not_public(client, reference_data):
    draft = VersionFactory(status=CoreOutcomeSetVersion.Status.DRAFT)
    OutcomeFactory(version=draft, name="Secret draft outcome")
    response = client.get(reverse("web:set-detail", args=[draft.core_outcome_set.slug]))
    assert b"Secret draft outcome" not in response.content


@pytest.mark.django_db
def test_guessing_panel_invitation_links_is_rate_limited(client, settings):
    limit, _ = parse_rate(settings.PANEL_LINK_RATE_LIMIT)
    for attempt in range(limit):
        response = client.get(reverse("panel:enter", args=[f"guess-{attempt}"]), REMOTE_ADDR="203.0.113.9")
        assert response.status_code != 429
    response = client.get(reverse("panel:enter", args=["guess-last"]), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()


# Huge page sizes ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["101", "1000000", "9" * 40])
def test_a_page_size_over_the_cap_is_a_400_naming_it(client, reference_data, page_size):
    for name in ("api:outcome-domain-list", "api:cos-list"):
        response = client.get(reverse(name), {"page_size": page_size})
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["page_size"] == [f"Must be at most 100, got {page_size}."]


@pytest.mark.django_db
def test_the_largest_page_size_is_served(client, reference_data):
    body = client.get(reverse("api:cos-list"), {"page_size": "100"}).json()
    assert len(body["results"]) == min(body["count"], 100)


@pytest.mark.django_db
@pytest.mark.parametrize("page_size", ["-1", "0", "1e9", "abc", "%00"])
def test_a_malformed_page_size_is_a_clear_400(client, reference_data, page_size):
    response = client.get(reverse("api:cos-list"), {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()["error"]["fields"]
