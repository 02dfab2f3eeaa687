"""A bounded schemathesis run against /api/schema/: no 5xx, and no response that breaks the schema, for anonymous
and authenticated clients. Each operation gets a few generated examples so the suite stays fast."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle

from tests.factories import UserFactory

MAX_EXAMPLES = 5


@pytest.fixture
def api_schema(reference_data, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # The throttle is tested on its own; here it would turn generated requests into 429s.
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.from_wsgi("/api/schema/", get_wsgi_application())
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db) -> str:
    token, _ = Token.objects.get_or_create(user=UserFactory(username="schemathesis"))
    return token.key


schema = schemathesis.from_pytest_fixture("api_schema")

CHECKS = (
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_anonymous_clients_get_no_server_error_and_schema_conforming_answers(case):
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_authenticated_clients_get_no_server_error_and_schema_conforming_answers(case, api_token):
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {api_token}"})
