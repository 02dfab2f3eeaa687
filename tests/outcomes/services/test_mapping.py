"""Concept set revisions: proposed, reviewed, then immutable (in the service and below the ORM)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from outcomes.immutability import IMMUTABLE_MARKER
from outcomes.models import AuditEvent, ConceptSetItem, ConceptSetRevision
from outcomes.services.mapping import mapping_propose, mapping_review
from tests.factories import OutcomeFactory, VersionFactory
from tests.outcomes.omop import item, reviewed_mapping

pytestmark = pytest.mark.django_db

Status = ConceptSetRevision.Status


@pytest.fixture
def outcome(reference_data):
    return OutcomeFactory(name="Heart failure hospitalisation")


def _refused(action) -> None:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        action()
    assert IMMUTABLE_MARKER in str(excinfo.value)


def test_a_proposal_opens_revision_1_with_its_items_and_is_audited(outcome, curator):
    proposal = mapping_propose(
        outcome=outcome,
        items=[item(name="Heart failure"), item("ICD10", "I50", name="Heart failure", is_excluded=True)],
        by=curator,
        window=(0, 365),
    )
    revision = proposal.revision
    assert (revision.number, revision.status, revision.proposed_by) == (1, Status.PROPOSED, curator)
    assert revision.outcome_identity == outcome.identity and revision.window == {"start_day": 0, "end_day": 365}
    assert [(i.vocabulary, i.code, i.is_excluded) for i in revision.items.all()] == [
        ("SNOMED", "84114007", False),
        ("ICD10", "I50", True),
    ]
    event = AuditEvent.objects.get(action="conceptset.propose")
    assert event.actor == curator and event.after["items"][0]["code"] == "84114007"


def test_without_a_vocabulary_no_concept_id_is_invented_and_no_warning_is_given(outcome, curator):
    proposal = mapping_propose(outcome=outcome, items=[item(name="Heart failure")], by=curator)
    assert proposal.revision.items.get().concept_id is None
    assert proposal.warnings == []


def test_an_omop_item_carries_its_own_code_as_concept_id(outcome, curator):
    proposal = mapping_propose(
        outcome=outcome, items=[item("OMOP", "4306655", name="Death", domain="death")], by=curator
    )
    assert proposal.revision.items.get().concept_id == 4306655


def test_proposing_again_before_review_replaces_the_pending_proposal(outcome, curator):
    mapping_propose(outcome=outcome, items=[item(name="Heart failure")], by=curator)
    second = mapping_propose(outcome=outcome, items=[item("ICD10", "I50", name="Heart failure")], by=curator)
    assert ConceptSetRevision.objects.filter(outcome_identity=outcome.identity).count() == 1
    assert second.revision.number == 1
    assert [i.code for i in second.revision.items.all()] == ["I50"]


def test_review_freezes_a_revision_and_the_next_proposal_is_revision_2(outcome, curator, facilitator):
    first = reviewed_mapping(outcome, curator, item(name="Heart failure"))
    assert (first.status, first.reviewed_by) == (Status.REVIEWED, curator) and first.reviewed_at
    second = mapping_propose(outcome=outcome, items=[item("ICD10", "I50", name="HF")], by=curator).revision
    assert second.number == 2
    assert [i.code for i in ConceptSetRevision.objects.get(pk=first.pk).items.all()] == ["84114007"]
    assert AuditEvent.objects.filter(action="conceptset.review", object_id=str(first.pk)).exists()


def test_reviewing_twice_is_refused(outcome, curator):
    revision = reviewed_mapping(outcome, curator, item(name="Heart failure"))
    with pytest.raises(ValidationError) as excinfo:
        mapping_review(revision=revision, by=curator)
    assert "already reviewed" in str(excinfo.value.message_dict["status"])


def test_the_mapping_belongs_to_the_outcome_identity_across_versions(reference_data, curator):
    old = OutcomeFactory(name="Mortality")
    newer = OutcomeFactory(
        name="Death from any cause",
        identity=old.identity,
        version=VersionFactory(core_outcome_set=old.version.core_outcome_set, version="2.0.0"),
    )
    reviewed_mapping(old, curator, item("OMOP", "4306655", name="Death", domain="death"))
    revision = mapping_propose(outcome=newer, items=[item(name="x")], by=curator).revision
    assert revision.number == 2  # the same outcome: its history goes on


@pytest.mark.parametrize(
    ("bad", "field", "words"),
    [
        (item("SNOMED", "84114008"), "items.0.code", "Verhoeff"),
        (item("LOINC", "8480-5"), "items.0.code", "check digit"),
        (item("ICD10", "I5O"), "items.0.code", "not an ICD-10 code"),
        (item("MeSH", "D006333"), "items.0.vocabulary", "not a vocabulary"),
        (item(domain="episode"), "items.0.domain", "not an OMOP domain"),
        (item("OMOP", "abc"), "items.0.code", "not an OMOP concept id"),
        (item(concept_id=-4), "items.0.concept_id", "whole number"),
    ],
)
def test_a_bad_item_is_refused_naming_its_field_and_nothing_is_stored(outcome, curator, bad, field, words):
    with pytest.raises(ValidationError) as excinfo:
        mapping_propose(outcome=outcome, items=[bad], by=curator)
    assert words in " ".join(excinfo.value.message_dict[field])
    assert not ConceptSetRevision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="conceptset").exists()


def test_every_bad_item_is_named_by_its_position(outcome, curator):
    with pytest.raises(ValidationError) as excinfo:
        mapping_propose(outcome=outcome, items=[item(), item("SNOMED", "1"), item()], by=curator)
    assert set(excinfo.value.message_dict) == {"items.1.code", "items.2.code"}
    assert "already item 1" in excinfo.value.message_dict["items.2.code"][0]


def test_an_empty_concept_set_is_refused_unless_any_death_counts(outcome, curator):
    with pytest.raises(ValidationError) as excinfo:
        mapping_propose(outcome=outcome, items=[], by=curator)
    assert "items" in excinfo.value.message_dict
    revision = mapping_propose(outcome=outcome, items=[], by=curator, counts_all_deaths=True).revision
    assert revision.counts_all_deaths and not revision.items.exists()


def test_a_window_that_ends_before_it_starts_is_refused(outcome, curator):
    with pytest.raises(ValidationError) as excinfo:
        mapping_propose(outcome=outcome, items=[item()], by=curator, window=(30, 0))
    assert "window" in excinfo.value.message_dict


# --- below the ORM ---------------------------------------------------------------------------------------------


@pytest.fixture
def reviewed(outcome, curator) -> ConceptSetRevision:
    return reviewed_mapping(outcome, curator, item(name="Heart failure"))


def test_an_item_of_a_reviewed_revision_cannot_be_changed_added_or_deleted(reviewed):
    _refused(lambda: ConceptSetItem.objects.filter(revision=reviewed).update(code="49436004"))
    _refused(
        lambda: ConceptSetItem.objects.create(
            revision=reviewed, vocabulary="ICD10", code="I50", name="x", domain="condition"
        )
    )
    _refused(lambda: ConceptSetItem.objects.filter(revision=reviewed).delete())


def test_a_reviewed_revision_cannot_be_changed_reopened_or_deleted(reviewed):
    _refused(lambda: ConceptSetRevision.objects.filter(pk=reviewed.pk).update(counts_all_deaths=True))
    _refused(lambda: ConceptSetRevision.objects.filter(pk=reviewed.pk).update(status="proposed", reviewed_at=None))
    _refused(lambda: ConceptSetRevision.objects.filter(pk=reviewed.pk).delete())


def test_raw_sql_cannot_rewrite_a_reviewed_item_either(reviewed):
    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE outcomes_conceptsetitem SET code = %s WHERE revision_id = %s", ["1", reviewed.pk])

    _refused(raw)


def test_who_reviewed_survives_the_deletion_of_their_account(reviewed, curator):
    curator.delete()
    reviewed.refresh_from_db()
    assert reviewed.reviewed_by is None and reviewed.status == Status.REVIEWED


def test_a_proposed_revision_can_still_change_and_be_deleted(outcome, curator):
    revision = mapping_propose(outcome=outcome, items=[item(name="Heart failure")], by=curator).revision
    ConceptSetItem.objects.filter(revision=revision).update(name="Heart failure (renamed)")
    revision.delete()
    assert not ConceptSetItem.objects.exists()


def test_triggers_lost_in_a_table_rebuild_are_put_back_after_migrate(reviewed):
    """SQLite drops a table's triggers when a migration rebuilds it; every migrate re-installs them."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    from outcomes.mapping_triggers import mapping_triggers_remove

    mapping_triggers_remove(connection)
    ConceptSetItem.objects.filter(revision=reviewed).update(name="unguarded")  # the hole the rebuild would leave
    post_migrate.send(
        sender=apps.get_app_config("outcomes"), app_config=apps.get_app_config("outcomes"), using="default"
    )
    _refused(lambda: ConceptSetItem.objects.filter(revision=reviewed).update(name="guarded again"))
