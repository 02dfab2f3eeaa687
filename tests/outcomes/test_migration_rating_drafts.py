"""Migration 0010: existing ratings become submitted answers or drafts as the tally treated them, and existing
meeting results get their vote counts and percentages over the votes cast."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("outcomes", "0009_version_is_correction")]
AFTER = [("outcomes", "0010_rating_drafts_and_meeting_vote_counts")]


@pytest.mark.django_db(transaction=True)
def test_ratings_of_completed_rounds_become_submitted_and_the_rest_drafts_and_meeting_results_split_their_votes():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    DiseaseArea = apps.get_model("diseases", "DiseaseArea")
    Set = apps.get_model("outcomes", "CoreOutcomeSet")
    Version = apps.get_model("outcomes", "CoreOutcomeSetVersion")
    Process = apps.get_model("outcomes", "ConsensusProcess")
    Item = apps.get_model("outcomes", "Item")
    Round = apps.get_model("outcomes", "Round")
    RoundItem = apps.get_model("outcomes", "RoundItem")
    Panelist = apps.get_model("outcomes", "Panelist")
    Participation = apps.get_model("outcomes", "Participation")
    Rating = apps.get_model("outcomes", "Rating")
    ItemResult = apps.get_model("outcomes", "ItemResult")

    now = timezone.now()
    area = DiseaseArea.objects.create(name="Area", slug="area")
    cos = Set.objects.create(title="Set", slug="set", disease_area=area)
    version = Version.objects.create(core_outcome_set=cos, version="1.0.0")
    process = Process.objects.create(core_outcome_set=cos, draft_version=version, title="Process")
    item = Item.objects.create(process=process, name="Item")
    meeting = Round.objects.create(process=process, number=1, kind="meeting")
    round_item = RoundItem.objects.create(round=meeting, item=item)
    done, saved = (
        Panelist.objects.create(
            process=process, email=f"{n}@example.org", code=n, token_hash=n * 16, token_expires_at=now
        )
        for n in ("done", "save")
    )
    Participation.objects.create(round=meeting, panelist=done, completed_at=now)
    Participation.objects.create(round=meeting, panelist=saved)
    Rating.objects.create(round_item=round_item, panelist=done, vote="include")
    Rating.objects.create(round_item=round_item, panelist=saved, vote="exclude")
    ItemResult.objects.create(
        round_item=round_item, n=20, n_high=7, n_low=3, n_mid=10, pct_high=Decimal("35.00"),
        distribution={"include": 7, "exclude": 3, "abstain": 10}, classification="in",
    )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    Rating = apps.get_model("outcomes", "Rating")
    ItemResult = apps.get_model("outcomes", "ItemResult")
    ratings = {r.panelist.code: r for r in Rating.objects.select_related("panelist")}
    assert (ratings["done"].is_draft, ratings["done"].submitted_at) == (False, now)
    assert (ratings["save"].is_draft, ratings["save"].submitted_at) == (True, None)
    result = ItemResult.objects.get()
    assert (result.n_include, result.n_exclude, result.n_abstain, result.votes_cast) == (7, 3, 10, 10)
    assert (result.n, result.pct_high, result.n_mid) == (10, Decimal("70.00"), 0)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema at the latest migration
