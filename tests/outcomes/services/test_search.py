"""The set search index follows the version lifecycle: the current public version's content is in it, drafts'
content is not."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.management import call_command

from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, Outcome, OutcomeDomain, SetSearchIndex
from outcomes.services.search import domain_bit, set_search_index_rebuild, set_search_index_refresh
from outcomes.services.versions import (
    version_consensus_start,
    version_draft_create,
    version_publish,
    version_withdraw,
)
from tests.factories import CoreOutcomeSetFactory, OutcomeFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def index_of(cos: CoreOutcomeSet) -> tuple[list[str], list[int]]:
    """The set's row: its title and outcome names (as indexed, in order) and its domain numbers."""
    index = SetSearchIndex.objects.get(core_outcome_set=cos)
    assert index.disease_area_id == cos.disease_area_id
    texts = [text for field, text, _ in index.sources if field in ("title", "outcome")]
    return texts, [n for n in range(1, 39) if index.domain_bits & domain_bit(n)]


def lines(*texts: str) -> list[str]:
    return list(texts)


INDEX_COLUMNS = ("pk", "disease_area", "domain_bits", "title", "conditions", "outcomes", "other", "sources")


def whole_index() -> list[tuple]:
    return list(SetSearchIndex.objects.order_by("pk").values_list(*INDEX_COLUMNS))


def domain(number: int) -> OutcomeDomain:
    return OutcomeDomain.objects.get(number=number)


def test_a_new_set_is_indexed_by_its_title_alone(reference_data):
    cos = CoreOutcomeSetFactory(title="Chronic cough")
    assert index_of(cos) == (lines("Chronic cough"), [])


def test_publishing_a_version_adds_its_outcome_names_and_domains(reference_data):
    version = version_with_content(outcomes=("Pain", "Mortality"), publish=False)
    cos = version.core_outcome_set
    assert index_of(cos) == (lines(cos.title), [])
    version_publish(version=version)
    assert index_of(cos) == (lines(cos.title, "Pain", "Mortality"), [1])


def test_the_content_of_a_draft_or_a_version_in_consensus_is_not_indexed(reference_data):
    published = version_with_content(outcomes=("Pain",))
    draft = version_draft_create(from_version=published)
    OutcomeFactory(version=draft, name="Draft-only outcome", domains=[domain(30)])
    cos = published.core_outcome_set
    assert index_of(cos) == (lines(cos.title, "Pain"), [1])
    version_consensus_start(version=draft)
    set_search_index_refresh(core_outcome_set=cos)
    assert index_of(cos) == (lines(cos.title, "Pain"), [1])


def test_the_current_version_is_indexed_and_a_withdrawn_current_version_stays(reference_data):
    first = version_with_content(outcomes=("Pain", "Mortality"))
    draft = version_draft_create(from_version=first)
    Outcome.objects.filter(version=draft, name="Mortality").delete()
    OutcomeFactory(version=draft, name="Fatigue", domains=[domain(30)])
    second = version_publish(version=draft)
    cos = first.core_outcome_set
    # The search finds what the set's page shows: the current version (Mortality is only in the superseded 1.0.0).
    assert index_of(cos) == (lines(cos.title, "Pain", "Fatigue"), [1, 30])
    version_withdraw(version=second, reason="Retracted")
    assert index_of(cos) == (lines(cos.title, "Pain", "Fatigue"), [1, 30])


def test_a_title_changed_by_the_reference_data_file_is_reindexed(reference_data, tmp_path):
    from outcomes.services.reference_data import SETS_FILE, reference_data_load

    cos = CoreOutcomeSet.objects.get(slug="ichom-heart-failure")
    renamed = SETS_FILE.read_text(encoding="utf-8").replace(f"title: {cos.title}", "title: Renamed heart failure set")
    assert renamed != SETS_FILE.read_text(encoding="utf-8")
    (tmp_path / "sets.yaml").write_text(renamed, encoding="utf-8")
    reference_data_load(sets_file=tmp_path / "sets.yaml")
    assert index_of(cos)[0][0] == "Renamed heart failure set"
    assert SetSearchIndex.objects.get(core_outcome_set=cos).title == "renam heart failur set"


def test_the_index_equals_a_recomputation_after_a_series_of_lifecycle_operations(reference_data):
    first = version_with_content(outcomes=("Pain", "Mortality"))
    draft = version_draft_create(from_version=first)
    OutcomeFactory(version=draft, name="Sleep quality", domains=[domain(25), domain(26)])
    version_consensus_start(version=draft)
    second = version_publish(version=draft)
    version_withdraw(version=second, reason="Error in the publication")
    third = version_draft_create(from_version=first)
    Outcome.objects.filter(version=third, name="Pain").update(name="Pain intensity")
    version_publish(version=third)
    version_with_content(outcomes=("Never published",), publish=False)
    maintained = whole_index()
    assert len(maintained) == CoreOutcomeSet.objects.count()
    set_search_index_rebuild()
    assert whole_index() == maintained


def test_the_rebuild_command_recomputes_a_lost_or_stale_index(reference_data):
    expected = whole_index()
    SetSearchIndex.objects.filter(core_outcome_set__slug="ichom-heart-failure").delete()
    SetSearchIndex.objects.filter(core_outcome_set__slug="ichom-atrial-fibrillation").update(title="stale", sources=[])
    call_command("search_index_rebuild", verbosity=0)
    assert whole_index() == expected


def test_the_migration_rebuilds_every_set_like_the_service(reference_data):
    version_with_content(outcomes=("Pain",))
    version_with_content(outcomes=("Draft outcome",), publish=False)
    expected = whole_index()
    SetSearchIndex.objects.all().delete()
    migration = importlib.import_module("outcomes.migrations.0011_search_engine")
    migration.index_rebuild(apps, None)
    assert whole_index() == expected


def test_after_a_migrate_the_sets_missing_from_the_index_are_indexed_and_a_full_index_is_left_alone(reference_data):
    from outcomes.services.search import search_index_fill_missing

    expected = whole_index()
    assert search_index_fill_missing() == 0  # nothing missing: no rebuild
    SetSearchIndex.objects.filter(core_outcome_set__slug="ichom-atrial-fibrillation").delete()
    assert search_index_fill_missing() == CoreOutcomeSet.objects.count()
    assert whole_index() == expected


@pytest.mark.parametrize("numbers", [[], [1], [38], [1, 2, 13, 29, 38], list(range(1, 39))])
def test_domain_numbers_undo_domain_bits(numbers):
    from outcomes.services.search import domain_bits, domain_numbers

    assert domain_numbers(domain_bits(numbers)) == numbers
    assert domain_numbers(domain_bits([*numbers, None])) == numbers


def test_every_rows_sources_are_stored_heaviest_field_first_outcomes_in_their_order(reference_data):
    from outcomes.services.search import SOURCE_RANK

    rows = list(SetSearchIndex.objects.select_related("core_outcome_set"))
    assert rows
    for row in rows:
        ranks = [SOURCE_RANK[name] for name, _, _ in row.sources]
        assert ranks == sorted(ranks), row.core_outcome_set.slug
        current = row.core_outcome_set.versions.filter(status=Status.PUBLISHED).first()
        if current:
            names = list(current.outcomes.order_by("order", "pk").values_list("name", flat=True))
            assert [text for name, text, _ in row.sources if name == "outcome"] == list(dict.fromkeys(names))
    kinds = {name for row in rows for name, _, _ in row.sources}
    assert {"title", "condition", "outcome", "domain", "instrument", "instrument kind"} <= kinds
