"""Panel links are credentials: no log of a real served request holds one."""

from __future__ import annotations

import logging
import secrets
import sys

import pytest

from cos_registry.log_redaction import RedactSecrets
from tests.conftest import requires_postgres
from tests.served import gunicorn_serving, production_env


@requires_postgres
@pytest.mark.django_db
def test_bad_panel_links_served_by_gunicorn_leave_no_token_in_the_access_log_or_the_error_log(tmp_path):
    env = production_env(tmp_path, PANEL_LINK_RATE_LIMIT="1/h")
    guessed, other, limited = (secrets.token_urlsafe(32) for _ in range(3))
    with gunicorn_serving(env, tmp_path) as served:
        status, headers = served.get(f"/panel/t/{guessed}/", {"Referer": f"{served.url}/panel/t/{other}/"})
        assert status == 403  # a link no panelist has
        assert headers["Referrer-Policy"] == "no-referrer"  # the page under the token sends no Referer
        assert served.get(f"/panel/t/{limited}/")[0] == 429  # over the limit: logged as well
    access = served.access_log.read_text()
    output = served.output.read_text()
    assert access.count("/panel/t/[redacted]/") == 3  # two request lines and the Referer, written redacted
    assert "Forbidden: /panel/t/[redacted]/" in output  # Django's request logger
    assert "Too Many Requests: /panel/t/[redacted]/" in output
    for token in (guessed, other, limited):
        assert token not in access
        assert token not in output


def test_a_token_in_a_log_records_message_arguments_and_traceback_is_redacted():
    try:
        raise ValueError("bad link /panel/t/s3cr3t-T0ken_x/ seen")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Error: %s?next=1", ("/panel/t/abc-DEF_123/",), True
        )
        record.exc_info = sys.exc_info()
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "Error: /panel/t/[redacted]/?next=1"
    assert "s3cr3t" not in record.exc_text and "/panel/t/[redacted]/" in record.exc_text
