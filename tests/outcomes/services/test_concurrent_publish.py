"""Two concurrent publishes of one set end with exactly one published version (PostgreSQL, two connections)."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from outcomes.models import CoreOutcomeSetVersion
from outcomes.services.versions import version_publish
from tests.conftest import requires_postgres
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory, VersionFactory

Status = CoreOutcomeSetVersion.Status


def _publish_in_threads(versions: list[CoreOutcomeSetVersion]) -> list[BaseException | None]:
    """Publish each version from its own thread (its own database connection), released at the same moment."""
    barrier = threading.Barrier(len(versions))
    outcomes: list[BaseException | None] = [None] * len(versions)

    def publish(index: int, version_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            version_publish(version=CoreOutcomeSetVersion.objects.get(pk=version_id))
        except BaseException as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(i, v.pk)) for i, v in enumerate(versions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_publishes_of_one_set_leave_exactly_one_published_version(reference_data):
    cos = CoreOutcomeSetFactory()
    drafts = [VersionFactory(core_outcome_set=cos, version=number) for number in ("1.0.0", "1.1.0")]
    for draft in drafts:
        OutcomeFactory(version=draft, name="Pain")
    errors = _publish_in_threads(drafts)
    assert errors == [None, None]  # the set lock queued them: the second superseded the first
    statuses = sorted(CoreOutcomeSetVersion.objects.filter(core_outcome_set=cos).values_list("status", flat=True))
    assert statuses == [Status.PUBLISHED, Status.SUPERSEDED]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_publishing_the_same_draft_twice_at_once_publishes_it_once(reference_data):
    draft = VersionFactory(core_outcome_set=CoreOutcomeSetFactory(), version="1.0.0")
    OutcomeFactory(version=draft, name="Pain")
    errors = _publish_in_threads([draft, draft])
    refused = [e for e in errors if e is not None]
    assert len(refused) == 1 and isinstance(refused[0], ValidationError)
    assert "Only a draft or in-consensus version can be published" in str(refused[0])
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert (
        CoreOutcomeSetVersion.objects.filter(core_outcome_set=draft.core_outcome_set, status="published").count() == 1
    )
