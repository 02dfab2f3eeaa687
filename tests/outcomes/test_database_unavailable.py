"""A database that drops connections answers 503 with a plain message, never a traceback."""

from __future__ import annotations

import json
from contextlib import contextmanager
from unittest import mock

import psycopg2
import pytest
from django.db import InterfaceError, OperationalError, connection, connections
from django.urls import reverse, reverse_lazy

from outcomes.middleware import server_error
from tests.conftest import requires_postgres
from tests.factories import UserFactory


@contextmanager
def database_gone(error: Exception):
    """Every new cursor fails as when the server has gone away."""
    with mock.patch.object(connections["default"], "cursor", side_effect=error):
        yield


def assert_plain_503(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = response.content.decode()
    assert "Traceback" not in body
    assert "server closed the connection" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_a_page_answers_503_with_a_plain_message_when_the_database_is_gone(client, error):
    with database_gone(error):
        response = client.get(reverse("web:home"))
    assert_plain_503(response)
    assert response["Content-Type"].startswith("text/html")
    assert "database is unavailable for a moment" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [reverse_lazy("api:cos-list"), reverse_lazy("api:disease-area-list")])
def test_the_api_answers_503_with_the_json_error_shape_when_the_database_is_gone(client, url):
    with database_gone(OperationalError("server closed the connection")):
        response = client.get(url)
    assert_plain_503(response)
    assert response["Content-Type"] == "application/json"
    error = json.loads(response.content)["error"]
    assert error["status"] == 503
    assert error["code"] == "service_unavailable"
    assert "database is unavailable" in error["message"]


@pytest.mark.django_db
def test_a_signed_in_page_answers_503_when_the_session_cannot_be_read(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    client.force_login(UserFactory(username="curator"))
    with database_gone(OperationalError("server closed the connection")):
        response = client.get(reverse("web:home"))
    assert_plain_503(response)


@pytest.mark.django_db
def test_other_errors_are_not_disguised_as_503(client, settings):
    client.raise_request_exception = False
    with database_gone(ValueError("a bug")):
        response = client.get(reverse("web:home"))
    assert response.status_code == 500


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_terminated_by_postgresql_answers_503(client):
    """The real thing: the server ends our session (pg_terminate_backend), as on a failover or restart."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    other = psycopg2.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    other.autocommit = True
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        response = client.get(reverse("web:home"))
    finally:
        other.close()
        connection.close()
    assert_plain_503(response)


def test_the_500_handler_answers_503_for_a_database_lost_outside_a_view(rf):
    """handler500 sees errors the middleware cannot (raised in other middleware, e.g. saving the session)."""
    try:
        raise OperationalError("server closed the connection")
    except OperationalError:
        response = server_error(rf.get("/"))
    assert_plain_503(response)


def test_the_500_handler_still_answers_500_for_other_errors(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        page = server_error(rf.get("/"))
        api = server_error(rf.get("/api/v1/core-outcome-sets/"))
    assert page.status_code == 500
    assert api.status_code == 500
    assert json.loads(api.content)["error"]["code"] == "server_error"
