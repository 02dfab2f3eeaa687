"""Redis down: pages keep serving, sign-in works, queued work is kept and sent when Redis is back."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from outcomes.models import OutboxMessage, Rating
from outcomes.services.outbox import task_enqueue
from outcomes.tasks import outbox_relay
from tests.factories import UserFactory
from tests.faults.conftest import URL, needs_fault_run
from tests.outcomes.consensus.conftest import add_member, make_process, open_first_round, rate_all

pytestmark = [pytest.mark.faults, needs_fault_run]


@pytest.fixture
def on_private_redis(settings, private_redis, celery_broker):
    """The cache, the sessions and the broker on the private Redis, as settings configure them with REDIS_URL."""
    cache = {
        "BACKEND": "cos_registry.cache.FaultTolerantRedisCache",
        "LOCATION": f"{URL}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "RETRY_AFTER_SECONDS": 0,
    }
    settings.CACHES = {"default": cache, "sessions": {**cache, "MAX_TIMEOUT": 300}}
    settings.SESSION_ENGINE = "cos_registry.sessions.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    celery_broker(f"{URL}/1")
    return private_redis


@pytest.mark.django_db
def test_the_registry_keeps_serving_while_redis_is_down_and_sends_kept_tasks_when_it_is_back(
    client, reference_data, on_private_redis, django_capture_on_commit_callbacks
):
    redis = on_private_redis
    curator = UserFactory(username="curator")
    cache.set("probe", "cached")
    assert cache.get("probe") == "cached"
    signed_in_before = Client()
    signed_in_before.force_login(curator)

    redis.stop()
    # A session cached in Redis is read from the database meanwhile: nobody is signed out.
    assert signed_in_before.get(reverse("web:home")).wsgi_request.user.is_authenticated
    assert client.get(reverse("web:home")).status_code == 200
    assert client.get(reverse("web:set-detail", args=["localised-prostate-cancer-compacters"])).status_code == 200
    # The API too: its throttles and response caching go through the same cache.
    api = client.get(reverse("api:cos-list"))
    assert api.status_code == 200
    assert api.json()["count"] == 11
    # Search answers are kept in Redis: with it away, every search is searched.
    page = client.get(reverse("web:search"), {"q": "heart failure"})
    assert page.status_code == 200 and "ICHOM Standard Set for heart failure" in page.content.decode()
    hits = client.get(reverse("api:search"), {"q": "heart failure"})
    assert hits.status_code == 200
    assert "ichom-heart-failure" in [hit.get("slug") for hit in hits.json()["results"]]
    assert cache.get("probe") is None  # a miss, not an error
    signed_in = client.post(reverse("login"), {"username": "curator", "password": "correct-horse-battery-staple"})
    assert signed_in.status_code == 302
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        kept = task_enqueue(task_name="outcomes.tasks.outbox_relay", kwargs={})
    kept.refresh_from_db()
    assert kept.sent_at is None and kept.attempts == 1  # the change committed; the task waits in the outbox
    assert outbox_relay() == 0

    redis.start()
    cache.set("probe", "again")
    assert cache.get("probe") == "again"
    assert outbox_relay() == 1
    assert OutboxMessage.objects.get(pk=kept.pk).sent_at is not None
    assert redis.cli("-n", "1", "llen", "celery") == "1"  # the task is on the broker, waiting for a worker


@pytest.mark.django_db
def test_ratings_are_accepted_while_redis_is_down_and_their_tasks_are_sent_when_it_is_back(
    client, reference_data, on_private_redis, django_capture_on_commit_callbacks
):
    redis = on_private_redis
    facilitator = UserFactory(username="facilitator")
    redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        process = make_process(facilitator)
        member = add_member(process, "panelist@example.org")
        round_ = open_first_round(process, facilitator)
        # The panelist follows their personal link (rate-limited through the cache, which is away) ...
        assert client.get(reverse("panel:enter", args=[member.token])).status_code == 302
        # ... and their ratings are saved.
        rate_all(member, round_, 8)
    assert (
        Rating.objects.filter(panelist=member.panelist, round_item__round=round_).count()
        == round_.round_items.count()
        > 0
    )
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True).count()
    assert waiting > 0  # the invitation and round tasks wait in the outbox

    redis.start()
    assert outbox_relay() == waiting
    assert redis.cli("-n", "1", "llen", "celery") == str(waiting)
