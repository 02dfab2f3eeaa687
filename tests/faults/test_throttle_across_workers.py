"""The anonymous API throttle holds for one client however many gunicorn workers serve it (counted in Redis)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import reverse

from tests.conftest import requires_postgres
from tests.faults.conftest import URL, needs_fault_run
from tests.served import gunicorn_serving, production_env

pytestmark = [pytest.mark.faults, needs_fault_run, requires_postgres]

LIMIT = 40


@pytest.mark.django_db
def test_the_anonymous_throttle_holds_for_one_client_across_four_gunicorn_workers(
    reference_data, private_redis, tmp_path
):
    env = production_env(tmp_path, REDIS_URL=f"{URL}/0", API_ANON_THROTTLE=f"{LIMIT}/hour")
    url = reverse("api:outcome-domain-list")
    with gunicorn_serving(env, tmp_path, workers=4) as served:
        left = 3600 - time.time() % 3600
        if left < 60:  # the throttle counts per fixed window: stay inside one
            time.sleep(left + 0.5)
        # Eight clients at once from one address: the requests run in parallel in the four workers.
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda _: served.get(url)[0], range(3 * LIMIT)))
    assert statuses.count(200) == LIMIT
    assert statuses.count(429) == 2 * LIMIT
