"""Throttles and rate limits of the API: failed panel-token authentication, the anonymous read throttle."""

from __future__ import annotations

import pytest
from django.urls import reverse

from outcomes.ratelimit import parse_rate
from tests.factories import UserFactory
from tests.outcomes.consensus.conftest import add_member, make_process

# Rate limits count per fixed window: their clock is held still in every test here (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("rate_limit_clock")


@pytest.mark.django_db
def test_guessing_panel_tokens_through_the_api_is_rate_limited_per_client(client, reference_data, settings):
    limit, _ = parse_rate(settings.PANEL_API_AUTH_RATE_LIMIT)
    real = add_member(make_process(UserFactory(username="facilitator")), "ann@example.org")
    me = reverse("api:panel-me")

    def attempt(token: str, ip: str = "203.0.113.10"):
        return client.get(me, HTTP_AUTHORIZATION=f"Panelist {token}", REMOTE_ADDR=ip)

    assert attempt(real.token).status_code == 200  # successes are not counted
    for guess in range(limit):
        assert attempt(f"guess-{guess}").status_code == 401
    throttled = attempt("guess-last")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled" and int(throttled["Retry-After"]) > 0
    assert attempt(real.token).status_code == 429  # now even a right guess is refused
    assert attempt(real.token, ip="203.0.113.11").status_code == 200  # another client is not limited
