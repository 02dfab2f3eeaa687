"""The version lifecycle: every transition, every refusal, and the version-number rules."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from outcomes.models import AuditEvent, CoreOutcomeSetVersion, Measurement, Outcome, OutcomeDomain, Reference
from outcomes.services.versions import (
    immutability_guard,
    version_consensus_start,
    version_draft_create,
    version_propose_number,
    version_publish,
    version_withdraw,
)
from tests.factories import CuratorFactory, OutcomeFactory, VersionFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def _field_error(excinfo: pytest.ExceptionInfo, field: str) -> str:
    return " ".join(excinfo.value.message_dict[field])


# ---------------------------------------------------------------------------------------------- transitions


def test_publishing_a_draft_records_who_when_and_audits_it(reference_data):
    curator = CuratorFactory()
    version = version_with_content(publish=False)
    version_publish(version=version, by=curator)
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED
    assert version.published_by == curator and version.published_at is not None
    event = AuditEvent.objects.get(action="version.publish", object_id=str(version.pk))
    assert event.actor == curator and event.after["version"] == "1.0.0"


def test_publishing_supersedes_the_previous_version_in_the_same_transaction(reference_data):
    first = version_with_content()
    draft = version_draft_create(from_version=first)
    version_publish(version=draft)
    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    assert (
        CoreOutcomeSetVersion.objects.filter(core_outcome_set=first.core_outcome_set, status="published").get() == draft
    )
    assert AuditEvent.objects.filter(action="version.supersede", object_id=str(first.pk)).exists()


def test_a_draft_goes_into_consensus_and_is_then_published(reference_data):
    draft = version_with_content(publish=False)
    version_consensus_start(version=draft)
    assert draft.status == Status.IN_CONSENSUS
    version_publish(version=draft)
    assert draft.status == Status.PUBLISHED


def test_only_a_draft_can_go_into_consensus(reference_data):
    published = version_with_content()
    with pytest.raises(ValidationError) as excinfo:
        version_consensus_start(version=published)
    assert "Only a draft can go into consensus" in _field_error(excinfo, "status")


@pytest.mark.parametrize("status", [Status.PUBLISHED, Status.SUPERSEDED, Status.WITHDRAWN])
def test_a_frozen_version_cannot_be_published_again(reference_data, status):
    first = version_with_content()
    if status == Status.SUPERSEDED:
        version_publish(version=version_draft_create(from_version=first))
    elif status == Status.WITHDRAWN:
        version_withdraw(version=first, reason="Error in definitions")
    first.refresh_from_db()
    assert first.status == status
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=first)
    assert "Only a draft or in-consensus version can be published" in _field_error(excinfo, "status")


def test_withdrawing_records_the_reason_and_time_and_leaves_no_published_version(reference_data):
    first = version_with_content()
    second = version_draft_create(from_version=first)
    version_publish(version=second)
    version_withdraw(version=second, reason="  The measurement instrument was misreported.  ")
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.status == Status.WITHDRAWN and second.withdrawn_at is not None
    assert second.withdrawn_reason == "The measurement instrument was misreported."
    # The predecessor is not reinstated: its record (superseded) stays true.
    assert first.status == Status.SUPERSEDED
    assert not CoreOutcomeSetVersion.objects.filter(core_outcome_set=first.core_outcome_set, status="published")
    assert AuditEvent.objects.filter(action="version.withdraw", object_id=str(second.pk)).exists()


def test_withdrawing_without_a_reason_is_refused(reference_data):
    version = version_with_content()
    with pytest.raises(ValidationError) as excinfo:
        version_withdraw(version=version, reason="   ")
    assert "reason" in _field_error(excinfo, "reason")
    version.refresh_from_db()
    assert version.status == Status.PUBLISHED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_CONSENSUS])
def test_only_the_published_version_can_be_withdrawn(reference_data, status):
    version = VersionFactory(status=status)
    with pytest.raises(ValidationError) as excinfo:
        version_withdraw(version=version, reason="Because")
    assert "Only the published version can be withdrawn" in _field_error(excinfo, "status")


def test_a_superseded_version_cannot_be_withdrawn(reference_data):
    first = version_with_content()
    version_publish(version=version_draft_create(from_version=first))
    with pytest.raises(ValidationError):
        version_withdraw(version=first, reason="Because")


# ------------------------------------------------------------------------------------------------- drafts


def test_a_draft_copies_outcomes_with_their_identity_domains_measurements_and_references(reference_data):
    source = version_with_content(outcomes=("Pain", "Mortality", "Quality of life"))
    draft = version_draft_create(from_version=source)
    assert draft.status == Status.DRAFT and draft.derived_from == source
    assert draft.version == "1.0.1"  # provisional: the next patch
    copied = {o.identity: o for o in draft.outcomes.all()}
    for original in source.outcomes.all():
        copy = copied[original.identity]
        assert copy.pk != original.pk
        assert (copy.name, copy.definition, copy.order) == (original.name, original.definition, original.order)
        assert set(copy.domains.all()) == set(original.domains.all())
        assert [(m.instrument_id, m.timing) for m in copy.measurements.all()] == [
            (m.instrument_id, m.timing) for m in original.measurements.all()
        ]
    assert [r.citation for r in draft.references.all()] == [r.citation for r in source.references.all()]
    assert Measurement.objects.filter(outcome__version=draft).count() == 3


def test_a_draft_can_be_edited_freely(reference_data):
    draft = version_draft_create(from_version=version_with_content())
    outcome = draft.outcomes.get(name="Pain")
    outcome.name = "Pain intensity"
    outcome.save()
    outcome.domains.add(OutcomeDomain.objects.get(number=2))
    Reference.objects.filter(version=draft).delete()
    assert draft.outcomes.filter(name="Pain intensity").exists()


def test_a_second_open_draft_of_a_set_is_refused(reference_data):
    source = version_with_content()
    version_draft_create(from_version=source)
    with pytest.raises(ValidationError) as excinfo:
        version_draft_create(from_version=source)
    assert "already has an open version, 1.0.1 (draft)" in _field_error(excinfo, "from_version")


def test_a_draft_cannot_be_made_from_a_draft(reference_data):
    with pytest.raises(ValidationError) as excinfo:
        version_draft_create(from_version=VersionFactory())
    assert "not from a draft one" in _field_error(excinfo, "from_version")


def test_copying_a_large_version_takes_a_fixed_number_of_queries(reference_data, django_assert_max_num_queries):
    small = version_with_content(outcomes=("A",))
    with django_assert_max_num_queries(30) as captured:
        version_draft_create(from_version=small)
    large = version_with_content(outcomes=tuple(f"Outcome {i}" for i in range(40)))
    with django_assert_max_num_queries(len(captured.captured_queries)):
        draft = version_draft_create(from_version=large)
    assert draft.outcomes.count() == 40


# ------------------------------------------------------------------------------------------ version numbers


def test_a_first_version_is_proposed_as_1_0_0(reference_data):
    assert version_propose_number(version=version_with_content(publish=False)) == "1.0.0"


def test_an_added_outcome_proposes_a_minor_version(reference_data):
    draft = version_draft_create(from_version=version_with_content(number="1.2.3"))
    OutcomeFactory(version=draft, name="Fatigue")
    assert version_propose_number(version=draft) == "1.3.0"


def test_a_removed_outcome_proposes_a_major_version(reference_data):
    draft = version_draft_create(from_version=version_with_content(number="1.2.3"))
    draft.outcomes.get(name="Pain").delete()
    OutcomeFactory(version=draft, name="Fatigue")
    assert version_propose_number(version=draft) == "2.0.0"


def test_a_definition_flagged_as_changing_meaning_proposes_a_major_version(reference_data):
    draft = version_draft_create(from_version=version_with_content(number="1.2.3"))
    draft.outcomes.filter(name="Pain").update(definition="Pain at rest only", meaning_changed=True)
    assert version_propose_number(version=draft) == "2.0.0"


def test_wording_instrument_and_reference_changes_propose_a_patch(reference_data):
    draft = version_draft_create(from_version=version_with_content(number="1.2.3"))
    draft.outcomes.filter(name="Pain").update(definition="Pain, as the patient reports it")
    Measurement.objects.filter(outcome__version=draft).update(timing="Every 6 months")
    draft.references.update(citation="Author A. Journal 2021 (corrected)")
    assert version_propose_number(version=draft) == "1.2.4"


def test_publishing_without_a_number_takes_the_proposal(reference_data):
    draft = version_draft_create(from_version=version_with_content())
    OutcomeFactory(version=draft, name="Fatigue")
    version_publish(version=draft)
    draft.refresh_from_db()
    assert (draft.version, draft.semver) == ("1.1.0", (1, 1, 0))


def test_the_curator_may_raise_the_proposed_number(reference_data):
    draft = version_draft_create(from_version=version_with_content())
    version_publish(version=draft, number="2.0.0")
    draft.refresh_from_db()
    assert draft.version == "2.0.0" and draft.major == 2


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1.1", "is not a semantic version"),
        ("v1.1.0", "is not a semantic version"),
        ("01.1.0", "is not a semantic version"),
        ("1.0.0", "must be greater than the last published version, 1.0.0"),
        ("0.9.0", "must be greater than the last published version"),
        ("1.0.1", "lower than the proposed 1.1.0"),
    ],
)
def test_a_number_that_is_not_semver_not_greater_or_below_the_proposal_is_refused(reference_data, number, message):
    draft = version_draft_create(from_version=version_with_content())
    OutcomeFactory(version=draft, name="Fatigue")
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft, number=number)
    assert message in _field_error(excinfo, "number")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_numbers_of_withdrawn_versions_are_never_reused(reference_data):
    first = version_with_content()
    second = version_draft_create(from_version=first)
    version_publish(version=second, number="2.0.0")
    version_withdraw(version=second, reason="Wrong outcome list")
    draft = version_draft_create(from_version=first)
    assert version_propose_number(version=draft) == "2.0.1"
    with pytest.raises(ValidationError):
        version_publish(version=draft, number="2.0.0")
    version_publish(version=draft)
    assert draft.version == "2.0.1"


# ----------------------------------------------------------------------------------------- immutability


def test_changing_a_published_outcome_gives_a_clear_validation_error(reference_data):
    version = version_with_content()
    with pytest.raises(ValidationError) as excinfo, immutability_guard():
        Outcome.objects.filter(version=version).update(name="Changed")
    assert "outcomes of a published, superseded or withdrawn version cannot" in excinfo.value.messages[0]
    assert sorted(version.outcomes.values_list("name", flat=True)) == ["Mortality", "Pain"]


# ---------------------------------------------------------------------------------------------- corrections


def _correction_of(version: CoreOutcomeSetVersion, *, rename: tuple[str, str] | None = ("Pain", "Pain at rest")):
    draft = version_draft_create(from_version=version, correction=True)
    if rename is not None:
        old, new = rename
        Outcome.objects.filter(version=draft, name=old).update(name=new)
    return draft


def test_a_correction_draft_is_flagged_keeps_the_literature_date_and_says_what_it_corrects(reference_data):
    published = version_with_content(publish=False)
    CoreOutcomeSetVersion.objects.filter(pk=published.pk).update(
        published_on="2015-01-01", published_on_precision="year"
    )
    version_publish(version=CoreOutcomeSetVersion.objects.get(pk=published.pk))
    published.refresh_from_db()
    draft = version_draft_create(from_version=published, correction=True)
    assert draft.is_correction and draft.derived_from == published
    assert draft.published_on == published.published_on
    assert draft.published_on_precision == published.published_on_precision
    assert draft.changelog.startswith("Correction of a transcription error in version 1.0.0")
    event = AuditEvent.objects.get(action="version.draft_create", object_id=str(draft.pk))
    assert event.after["is_correction"] is True


def test_a_published_correction_is_a_patch_that_supersedes_the_version_it_corrects(reference_data):
    published = version_with_content()
    draft = _correction_of(published)
    assert version_propose_number(version=draft) == "1.0.1"
    version_publish(version=draft)
    published.refresh_from_db()
    assert (draft.status, draft.version, published.status) == (Status.PUBLISHED, "1.0.1", Status.SUPERSEDED)
    kept = {o.identity for o in published.outcomes.all()}
    assert {o.identity for o in draft.outcomes.all()} == kept


def test_a_correction_that_adds_an_outcome_is_refused_as_a_new_version(reference_data):
    published = version_with_content()
    draft = _correction_of(published, rename=None)
    OutcomeFactory(version=draft, name="Fatigue", domains=[OutcomeDomain.objects.get(number=9)])
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft)
    assert "needs a new minor version, not a correction" in _field_error(excinfo, "is_correction")
    assert CoreOutcomeSetVersion.objects.get(pk=draft.pk).status == Status.DRAFT


def test_a_correction_that_changes_the_meaning_of_a_definition_is_refused(reference_data):
    published = version_with_content()
    draft = _correction_of(published, rename=None)
    Outcome.objects.filter(version=draft, name="Pain").update(definition="Pain at night", meaning_changed=True)
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft)
    assert "needs a new major version" in _field_error(excinfo, "is_correction")


def test_a_correction_that_changes_nothing_is_refused(reference_data):
    draft = _correction_of(version_with_content(), rename=None)
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft)
    assert "changes nothing in version 1.0.0" in _field_error(excinfo, "is_correction")


def test_a_correction_cannot_take_a_minor_or_major_number(reference_data):
    draft = _correction_of(version_with_content())
    for number in ("1.1.0", "2.0.0"):
        with pytest.raises(ValidationError) as excinfo:
            version_publish(version=draft, number=number)
        assert f"A correction of 1.0.0 is a patch: {number} is not." in _field_error(excinfo, "number")
    version_publish(version=draft, number="1.0.2")  # a patch may still be raised
    assert draft.version == "1.0.2"


def test_a_correction_needs_a_changelog(reference_data):
    draft = _correction_of(version_with_content())
    CoreOutcomeSetVersion.objects.filter(pk=draft.pk).update(changelog=" ")
    draft.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft)
    assert "what this correction corrects" in _field_error(excinfo, "changelog")


def test_only_the_published_version_can_be_corrected(reference_data):
    first = version_with_content()
    version_publish(version=version_draft_create(from_version=first))  # first is now superseded
    first.refresh_from_db()
    draft = _correction_of(CoreOutcomeSetVersion.objects.get(pk=first.pk))
    with pytest.raises(ValidationError) as excinfo:
        version_publish(version=draft)
    assert "made from the set's published version" in _field_error(excinfo, "is_correction")
