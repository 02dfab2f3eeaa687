"""The benchmark's dataset builder at a tiny scale (the benchmark itself is `make bench`; nothing here is timed)."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q

from bench.build_dataset import (
    BIG_SET_SLUG,
    SUBMIT_PROCESS_TITLE,
    Scale,
    dataset_populate,
    submitter_token,
)
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Outcome, Panelist, Participation, Rating, Round
from outcomes.services.consensus import token_hash
from tests.conftest import requires_postgres

pytestmark = [pytest.mark.django_db, requires_postgres]

Status = CoreOutcomeSetVersion.Status
TINY = Scale(sets=20, panelists=10, items=4, rounds=3, submitters=3, submit_items=4, big_version_outcomes=100)


@pytest.fixture
def tiny_dataset(reference_data):
    return dataset_populate(scale=TINY)


def test_builder_adds_the_sets_with_one_published_version_each(tiny_dataset):
    sets = CoreOutcomeSet.objects.filter(slug__startswith="bench-").annotate(
        published=Count("versions", filter=Q(versions__status=Status.PUBLISHED))
    )
    assert sets.count() == TINY.sets + 1
    assert set(sets.values_list("published", flat=True)) == {1}


def test_every_tenth_set_has_superseded_versions_with_their_outcomes(tiny_dataset):
    superseded = CoreOutcomeSetVersion.objects.filter(
        status=Status.SUPERSEDED, core_outcome_set__slug__startswith="bench-set-"
    )
    assert superseded.values("core_outcome_set").distinct().count() == TINY.sets // TINY.multi_version_every
    assert all(v.outcomes.exists() for v in superseded)


def test_the_version_detail_set_has_a_published_version_of_100_outcomes(tiny_dataset):
    version = CoreOutcomeSetVersion.objects.get(core_outcome_set__slug=BIG_SET_SLUG, version="1.0.0")
    assert version.status == Status.PUBLISHED
    assert Outcome.objects.filter(version=version).count() == 100
    assert all(o.domains.exists() for o in version.outcomes.all())


def test_the_tally_process_holds_one_rating_per_panelist_item_and_round(tiny_dataset):
    ratings = Rating.objects.filter(round_item__round__process_id=tiny_dataset.tally_process_id)
    assert ratings.count() == TINY.panelists * TINY.items * TINY.rounds
    assert Round.objects.filter(process_id=tiny_dataset.tally_process_id, status=Round.Status.CLOSED).count() == 3
    assert not ratings.filter(score__isnull=False, unable_to_score=True).exists()


def test_submitters_are_invited_to_the_open_round_and_their_tokens_match(tiny_dataset):
    round_ = Round.objects.get(pk=tiny_dataset.submit_round_id)
    assert round_.status == Round.Status.OPEN and round_.process.title == SUBMIT_PROCESS_TITLE
    assert not Rating.objects.filter(round_item__round=round_).exists()
    assert Participation.objects.filter(round=round_).count() == TINY.submitters
    for i in range(TINY.submitters):
        panelist = Panelist.objects.get(token_hash=token_hash(submitter_token(i)))
        assert panelist.process_id == tiny_dataset.submit_process_id and panelist.consented_at is not None


def test_the_immutability_triggers_are_enabled_again_after_the_bulk_load(tiny_dataset):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'cos_immutable_%%'"
        )
        states = dict(cursor.fetchall())
    assert "cos_immutable_outcome" in states
    assert set(states.values()) == {"O"}
    assert set(tiny_dataset.user_triggers.values()) == {"O"}


def test_a_published_bench_version_still_refuses_content_changes(tiny_dataset):
    from django.db import DatabaseError, transaction

    outcome = Outcome.objects.filter(version__status=Status.PUBLISHED, version__core_outcome_set__slug=BIG_SET_SLUG)
    with pytest.raises(DatabaseError, match="COS-IMMUTABLE"), transaction.atomic():
        outcome.update(name="Changed after publication")


def test_the_search_index_is_filled_and_equals_what_the_service_computes(tiny_dataset):
    from outcomes.models import SetSearchIndex
    from outcomes.services.search import set_search_index_rebuild

    def rows() -> list[tuple]:
        return list(
            SetSearchIndex.objects.order_by("pk").values_list(
                "pk", "disease_area", "domain_bits", "title", "conditions", "outcomes", "other", "sources"
            )
        )

    built = rows()
    assert len(built) == CoreOutcomeSet.objects.count() == tiny_dataset.counts["search_index_rows"]
    set_search_index_rebuild()
    assert rows() == built


def test_the_bench_floor_view_answers_the_floor_statement_with_the_engines_sets(tiny_dataset, client, settings):
    """bench/floor_urls.py (the benchmark's bare Django view around the search floor statement) finds the same sets,
    in the same order, as the search API for the same query."""
    import json

    from bench.scenarios import SEARCH_QUERIES, search_django_floor_path

    settings.ROOT_URLCONF = "bench.floor_urls"
    for n, q in enumerate(SEARCH_QUERIES):
        floor = json.loads(client.get(search_django_floor_path(n)).content)
        api = client.get("/api/v1/search/", {"q": q, "limit": 20}).json()
        assert floor["set_count"] == api["set_count"] > 0
        assert [hit["slug"] for hit in floor["results"]] == [h["slug"] for h in api["results"] if h["kind"] == "set"]
