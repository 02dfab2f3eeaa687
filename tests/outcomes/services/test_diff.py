"""The diff between two versions: outcomes matched by identity (through renames), field by field, and references."""

from __future__ import annotations

import pytest

from outcomes.models import CoreOutcomeSetVersion, Measurement, OutcomeDomain
from outcomes.services.diff import version_diff
from outcomes.services.versions import version_draft_create
from tests.factories import InstrumentFactory, OutcomeFactory, ReferenceFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(reference_data) -> tuple[CoreOutcomeSetVersion, CoreOutcomeSetVersion]:
    old = version_with_content(outcomes=("Pain", "Mortality", "Fatigue"))
    return old, version_draft_create(from_version=old)


def test_identical_versions_have_an_empty_diff_of_patch_level(pair):
    old, new = pair
    diff = version_diff(old=old, new=new)
    assert diff.is_empty and diff.unchanged_count == 3 and diff.level == "patch"


def test_a_renamed_outcome_is_matched_by_identity_and_shown_as_a_name_change(pair):
    old, new = pair
    new.outcomes.filter(name="Pain").update(name="Pain intensity")
    diff = version_diff(old=old, new=new)
    assert diff.added == [] and diff.removed == []
    [change] = diff.changed
    assert [(f.field, f.old, f.new) for f in change.fields] == [("name", "Pain", "Pain intensity")]
    assert change.identity == old.outcomes.get(name="Pain").identity


def test_added_and_removed_outcomes_are_listed(pair):
    old, new = pair
    new.outcomes.get(name="Fatigue").delete()
    OutcomeFactory(version=new, name="Sleep quality")
    diff = version_diff(old=old, new=new)
    assert [o.name for o in diff.added] == ["Sleep quality"]
    assert [o.name for o in diff.removed] == ["Fatigue"]
    assert diff.level == "major"


def test_definition_domains_measurements_applies_to_and_note_changes_are_reported_field_by_field(pair):
    old, new = pair
    outcome = new.outcomes.get(name="Mortality")
    outcome.definition = "Death from any cause within 1 year"
    outcome.applies_to = "surgery"
    outcome.note = "All-cause"
    outcome.save()
    outcome.domains.set([OutcomeDomain.objects.get(number=1), OutcomeDomain.objects.get(number=38)])
    Measurement.objects.filter(outcome=outcome).update(instrument=InstrumentFactory(acronym="EQ-X"), timing="1 year")
    [change] = version_diff(old=old, new=new).changed
    fields = {f.field: f for f in change.fields}
    assert set(fields) == {"definition", "domains", "measurements", "applies_to", "note"}
    assert fields["domains"].new == ["1. Mortality/survival", "38. Adverse events"]
    assert fields["measurements"].new == ["EQ-X @ 1 year"]
    assert fields["applies_to"].old == "" and fields["applies_to"].new == "surgery"
    assert not change.meaning_changed


def test_the_meaning_changed_flag_makes_the_diff_major(pair):
    old, new = pair
    new.outcomes.filter(name="Pain").update(definition="Pain at rest", meaning_changed=True)
    diff = version_diff(old=old, new=new)
    assert diff.changed[0].meaning_changed and diff.level == "major"


def test_reference_changes_are_added_removed_or_changed(pair):
    old, new = pair
    new.references.update(citation="Author A. Journal 2020 (erratum)")  # same DOI: a changed reference
    ReferenceFactory(version=new, citation="Update paper", doi="10.5555/update")
    diff = version_diff(old=old, new=new)
    assert [r.citation for r in diff.references_added] == ["Update paper"]
    assert diff.references_removed == []
    assert [f.field for f in diff.references_changed[0].fields] == ["citation"]
    assert diff.level == "patch"


def test_the_diff_serialises_to_json_ready_data(pair):
    old, new = pair
    OutcomeFactory(version=new, name="Sleep quality")
    data = version_diff(old=old, new=new).to_dict()
    assert data["level"] == "minor"
    assert data["outcomes"]["added"][0]["name"] == "Sleep quality"
    assert data["outcomes"]["unchanged"] == 3


def test_the_diff_takes_a_fixed_number_of_queries(reference_data, django_assert_max_num_queries):
    small = version_with_content(outcomes=("A",))
    small_draft = version_draft_create(from_version=small)
    with django_assert_max_num_queries(10) as captured:
        version_diff(old=small, new=small_draft)
    large = version_with_content(outcomes=tuple(f"Outcome {i}" for i in range(30)))
    draft = version_draft_create(from_version=large)
    with django_assert_max_num_queries(len(captured.captured_queries)):
        version_diff(old=large, new=draft)


def test_compacters_1_0_0_to_1_1_0_keeps_all_19_outcomes_and_changes_the_references(reference_data):
    versions = CoreOutcomeSetVersion.objects.filter(core_outcome_set__slug="localised-prostate-cancer-compacters")
    diff = version_diff(old=versions.get(version="1.0.0"), new=versions.get(version="1.1.0"))
    assert diff.added == [] and diff.removed == [] and diff.changed == []
    assert diff.unchanged_count == 19
    assert [r.doi for r in diff.references_added] == ["10.1016/j.eururo.2022.01.042"]
    assert len(diff.references_removed) == 2
