"""Schemathesis against /api/schema/: the API answers as its schema says.

- Generated requests, valid and invalid (negative data), for anonymous and token-authenticated clients: no 5xx,
  status codes, content types and response bodies that conform to the schema, and invalid input refused (4xx).
- Real data read by the people who may see it (a facilitator, a panelist): the responses generated ids rarely
  reach, such as round results with their all-panelists row, conform to the schema too.

Bounded and deterministic, so the suite stays fast and a failure repeats: a few examples per operation, derandomized.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, assume, settings
from rest_framework.authtoken.models import Token
from rest_framework.throttling import AnonRateThrottle
from schemathesis import DataGenerationMethod

from outcomes.services import consensus as svc
from outcomes.services.tally import round_tally
from tests.factories import UserFactory
from tests.outcomes.consensus.conftest import add_member, make_process, open_first_round, rate_all

MAX_EXAMPLES = 3


@pytest.fixture
def api_schema(reference_data, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path
    # The throttle is tested on its own; here it would turn generated requests into 429s.
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "100000/minute"})
    # As Django's test client does: a request must not close the connection that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.from_wsgi(
        "/api/schema/",
        get_wsgi_application(),
        data_generation_methods=[DataGenerationMethod.positive, DataGenerationMethod.negative],
    )
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_token(db) -> str:
    token, _ = Token.objects.get_or_create(user=UserFactory(username="schemathesis"))
    return token.key


schema = schemathesis.from_pytest_fixture("api_schema")


def response_schema_conformance(ctx, response, case):
    """schemathesis 3 validates a response against the schema of the FIRST media type its status documents. An
    operation that answers several JSON types (`cite/{format}/`: CSL-JSON is a list, DataCite an object) is
    validated here when it answered that first type; its other types are validated against their own schemas in
    tests/outcomes/api/test_cite_api.py."""
    content = case.operation.definition.raw.get("responses", {}).get(str(response.status_code), {}).get("content", {})
    first = next(iter(content), None)
    answered = (response.headers.get("Content-Type") or "").split(";")[0].strip()
    if first is not None and answered and answered != first:
        return True
    return schemathesis.checks.response_schema_conformance(ctx, response, case)


CHECKS = (
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
)

BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def sendable(case) -> bool:
    """Negative cases the WSGI transport cannot send as generated are left out: a form body that is not an object
    (werkzeug cannot encode `true` as a form), and a query that is not an object or names parameters the operation
    does not declare (`?0=false`, `?=null&page=1`): the API ignores unknown query parameters (docs/api.md)."""
    if case.media_type in FORM_MEDIA_TYPES and not isinstance(case.body, dict):
        return False
    if case.query is None:
        return True
    declared = {parameter.name for parameter in case.operation.query}
    return isinstance(case.query, dict) and set(case.query) <= declared


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_anonymous_clients_get_schema_conforming_answers_and_invalid_input_refused(case):
    assume(sendable(case))
    case.call_and_validate(checks=CHECKS)


@pytest.mark.django_db
@schema.parametrize()
@BOUNDED
def test_authenticated_clients_get_schema_conforming_answers_and_invalid_input_refused(case, api_token):
    assume(sendable(case))
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"Token {api_token}"})


@pytest.mark.django_db
def test_a_running_process_read_by_its_facilitator_and_a_panelist_conforms_to_the_schema(api_schema):
    facilitator = UserFactory(username="schema-facilitator")
    process = make_process(facilitator)
    members = [add_member(process, f"schema{i}@example.org", group_index=i % 2) for i in range(3)]
    first = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, first, 8)
    svc.round_close(round=first, by=facilitator)
    round_tally(round=first)
    svc.round_open(round=svc.round_create(process=process, by=facilitator, allow_suggestions=True), by=facilitator)
    token, _ = Token.objects.get_or_create(user=facilitator)

    as_facilitator = {"Authorization": f"Token {token.key}"}
    as_panelist = {"Authorization": f"Panelist {members[0].token}"}
    reads = [
        ("/api/v1/consensus/processes/", {}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/rounds/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/rounds/{id}/results/", {"id": first.pk}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/groups/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/items/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/panelists/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/processes/{id}/suggestions/", {"id": process.pk}, as_facilitator),
        ("/api/v1/consensus/panel/", {}, as_panelist),
        ("/api/v1/consensus/panel/rounds/{number}/", {"number": 2}, as_panelist),
        ("/api/v1/consensus/panel/suggestions/", {}, as_panelist),
    ]
    for path, parameters, headers in reads:
        case = api_schema[path]["GET"].make_case(path_parameters=parameters or None, headers=headers)
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 200, (path, response.text[:300])
    results = api_schema["/api/v1/consensus/rounds/{id}/results/"]["GET"].make_case(
        path_parameters={"id": first.pk}, headers=as_facilitator
    )
    groups = {r["group"] for item in results.call().json for r in item["results"]}
    assert None in groups  # the all-panelists row, which the schema once said could not be null
