"""Consensus services: setup, CSV import, the locked definition, personal links, suggestions, reminders."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from outcomes.models import AuditEvent, ConsensusProcess, CoreOutcomeSetVersion, Item, Panelist, Rating, Round
from outcomes.services import consensus as svc

from .conftest import add_member, open_first_round, rate_all

pytestmark = pytest.mark.django_db


def test_process_create_makes_an_in_consensus_draft_version_default_groups_and_seeds_an_update(
    reference_data, facilitator
):
    from outcomes.models import CoreOutcomeSet

    cos = CoreOutcomeSet.objects.get(slug="ichom-heart-failure")
    process = svc.process_create(core_outcome_set=cos, title="HF update", by=facilitator, facilitators=[facilitator])
    assert process.draft_version.version == "1.0.1"  # provisional: the lifecycle fixes it at publication
    assert process.draft_version.status == CoreOutcomeSetVersion.Status.IN_CONSENSUS
    assert process.draft_version.derived_from.version == "1.0.0"
    assert list(process.groups.values_list("name", flat=True)) == [
        "Patients and carers",
        "Health professionals",
        "Researchers",
        "Industry",
        "Regulators",
    ]
    assert set(process.items.values_list("name", flat=True)) >= {"Symptom burden", "Survival"}
    assert AuditEvent.objects.filter(action="consensus.process_create", process=process).exists()
    with pytest.raises(ValidationError):
        svc.process_create(core_outcome_set=cos, title="A second draft", by=facilitator)


def test_whoever_creates_a_process_facilitates_it_with_the_co_facilitators_named(reference_data, facilitator):
    from tests.factories import CoreOutcomeSetFactory, DiseaseAreaFactory, UserFactory

    colleague = UserFactory(username="colleague")
    cos = CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory())
    process = svc.process_create(core_outcome_set=cos, title="New set", by=facilitator, facilitators=[colleague])
    assert set(process.facilitators.all()) == {facilitator, colleague}
    other = svc.process_create(
        core_outcome_set=CoreOutcomeSetFactory(disease_area=DiseaseAreaFactory()), title="Alone", by=facilitator
    )
    assert list(other.facilitators.all()) == [facilitator]


CLEAN_CSV = b"name,definition,domains\nBreathlessness,Shortness of breath,3\nHospital admission,,35; 36\n"


def test_csv_import_creates_every_candidate_with_its_domains(process, facilitator):
    items = svc.candidates_import_csv(process=process, data=CLEAN_CSV, by=facilitator)
    assert [i.name for i in items] == ["Breathlessness", "Hospital admission"]
    admission = Item.objects.get(process=process, name="Hospital admission")
    assert sorted(admission.domains.values_list("number", flat=True)) == [35, 36]


def test_csv_import_reports_every_bad_row_with_its_line_number_and_imports_nothing(process, facilitator):
    before = process.items.count()
    data = (
        b"name,definition,domains\n"
        b"Fine outcome,ok,3\n"
        b",no name,4\n"  # line 3
        b"Bad domain,,39\n"  # line 4
        b"Fine outcome,again,3\n"  # line 5: repeats line 2
        b"No domain,,\n"  # line 6
        b"Outcome 1,already a candidate,1\n"  # line 7
    )
    with pytest.raises(svc.CsvImportError) as excinfo:
        svc.candidates_import_csv(process=process, data=data, by=facilitator)
    lines = [line for line, _ in excinfo.value.problems]
    assert lines == [3, 4, 5, 6, 7]
    assert "'39' is not a COMET domain number" in excinfo.value.messages[1]
    assert excinfo.value.messages[2].startswith("Line 5:") and "repeats line 2" in excinfo.value.messages[2]
    assert process.items.count() == before


def test_csv_import_refuses_a_wrong_encoding_an_oversize_file_and_a_missing_header(process, facilitator):
    latin1 = "name,definition,domains\nDyspnée,,3\n".encode("latin-1")
    with pytest.raises(svc.CsvImportError) as excinfo:
        svc.candidates_import_csv(process=process, data=latin1, by=facilitator)
    assert "UTF-8" in excinfo.value.messages[0] and excinfo.value.problems[0][0] == 2
    with pytest.raises(svc.CsvImportError) as excinfo:
        svc.candidates_import_csv(process=process, data=b"x" * (svc.CSV_MAX_BYTES + 1), by=facilitator)
    assert "larger than" in excinfo.value.messages[0]
    with pytest.raises(svc.CsvImportError) as excinfo:
        svc.candidates_import_csv(process=process, data=b"title,text\nA,B\n", by=facilitator)
    assert "header" in excinfo.value.messages[0]
    assert process.items.count() == 3


def test_consensus_definition_can_change_before_round_1_and_is_locked_when_it_opens(process, facilitator):
    svc.process_update(process=process, by=facilitator, in_high_min_pct=75, rule_scope="every_group")
    process.refresh_from_db()
    assert (process.in_high_min_pct, process.rule_scope) == (75, "every_group")
    open_first_round(process, facilitator)
    process.refresh_from_db()
    assert process.definition_locked_at is not None
    with pytest.raises(ValidationError) as excinfo:
        svc.process_update(process=process, by=facilitator, in_high_min_pct=60)
    assert "locked" in excinfo.value.message_dict["in_high_min_pct"][0]
    process.refresh_from_db()
    assert process.in_high_min_pct == 75
    svc.process_update(process=process, by=facilitator, reminder_days_before_close=5)  # settings stay editable


def test_thresholds_outside_1_to_100_are_refused(process, facilitator):
    with pytest.raises(ValidationError) as excinfo:
        svc.process_update(process=process, by=facilitator, in_low_max_pct=101)
    assert "in_low_max_pct" in excinfo.value.message_dict


def test_invitation_email_carries_a_link_whose_token_is_stored_only_as_its_sha256_hash(
    process, facilitator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        panelist = svc.panelist_invite(process=process, email="Ann@Example.org", name="Ann", by=facilitator)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ann@example.org"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/panel/" in line)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    panelist.refresh_from_db()
    assert panelist.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Panelist.objects.filter(token_hash=token).exists()
    assert svc.panelist_authenticate(token=token) == panelist
    assert panelist.code == "P0001"
    assert panelist.token_expires_at > timezone.now() + dt.timedelta(days=process.invitation_valid_days - 1)
    from outcomes.models import OutboxMessage

    assert all(token not in str(m.kwargs) for m in OutboxMessage.objects.all())


def test_expired_revoked_and_replaced_links_are_refused(process):
    member = add_member(process, "a@example.org")
    newer = svc.panelist_token_issue(panelist=member.panelist)
    with pytest.raises(svc.PanelistTokenError, match="not valid"):
        svc.panelist_authenticate(token=member.token)
    Panelist.objects.filter(pk=member.panelist.pk).update(token_expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(svc.PanelistTokenError, match="expired"):
        svc.panelist_authenticate(token=newer)
    svc.panelist_revoke(panelist=member.panelist, by=None)
    with pytest.raises(svc.PanelistTokenError, match="revoked"):
        svc.panelist_authenticate(token=newer)


def test_rating_needs_consent_and_an_invitation_to_the_round(process, facilitator):
    round1 = open_first_round(process, facilitator)
    unconsented = add_member(process, "u@example.org", consent=False)
    with pytest.raises(ValidationError, match="consent"):
        rate_all(unconsented, round1, 5)
    assert Rating.objects.count() == 0


def test_submitting_an_incomplete_round_is_refused_but_saving_progress_is_kept(process, facilitator):
    member = add_member(process, "a@example.org")
    round1 = open_first_round(process, facilitator)
    first = round1.round_items.first().item_id
    with pytest.raises(ValidationError, match="1 of 3 answered"):
        svc.rating_submit(
            panelist=member.panelist, round=round1, ratings=[svc.RatingInput(item_id=first, score=5)], complete=True
        )
    assert Rating.objects.count() == 0
    participation = svc.rating_submit(
        panelist=member.panelist, round=round1, ratings=[svc.RatingInput(item_id=first, score=5)]
    )
    assert participation.started_at is not None and participation.completed_at is None
    assert Rating.objects.get().score == 5
    assert AuditEvent.objects.filter(action="consensus.rating_submit", actor_label=member.panelist.code).exists()


def test_score_and_unable_to_score_together_are_refused(process, facilitator):
    member = add_member(process, "a@example.org")
    round1 = open_first_round(process, facilitator)
    entry = svc.RatingInput(item_id=round1.round_items.first().item_id, score=5, unable_to_score=True)
    with pytest.raises(svc.RatingsRefused):
        svc.rating_submit(panelist=member.panelist, round=round1, ratings=[entry])
    assert Rating.objects.count() == 0


def test_suggestions_are_accepted_into_the_next_round_merged_or_rejected_with_a_reason(process, facilitator):
    member = add_member(process, "a@example.org")
    round1 = open_first_round(process, facilitator)
    accepted = svc.suggestion_submit(panelist=member.panelist, round=round1, name="Fatigue")
    merged = svc.suggestion_submit(panelist=member.panelist, round=round1, name="Death")
    rejected = svc.suggestion_submit(panelist=member.panelist, round=round1, name="Cost of parking")
    svc.suggestion_decide(suggestion=accepted, decision="accepted", by=facilitator, domain_numbers=[9])
    target = process.items.get(name="Outcome 1")
    svc.suggestion_decide(suggestion=merged, decision="merged", merge_into=target, by=facilitator)
    with pytest.raises(ValidationError, match="reason"):
        svc.suggestion_decide(suggestion=rejected, decision="rejected", by=facilitator)
    svc.suggestion_decide(suggestion=rejected, decision="rejected", reason="Out of scope", by=facilitator)
    rate_all(member, round1, 5)
    svc.round_close(round=round1, by=facilitator)
    round2 = svc.round_create(process=process, by=facilitator)
    names = set(round2.round_items.values_list("item__name", flat=True))
    assert "Fatigue" in names and "Death" not in names
    assert round2.allow_suggestions is False
    with pytest.raises(ValidationError):
        svc.suggestion_submit(panelist=member.panelist, round=svc.round_open(round=round2, by=facilitator), name="X")


def test_next_round_carries_forward_only_items_without_consensus_and_invites_only_completers(process, facilitator):
    ConsensusProcess.objects.filter(pk=process.pk).update(carry_forward="no_consensus")
    a, b, c = (add_member(process, f"{x}@example.org") for x in "abc")
    round1 = open_first_round(process, facilitator)
    items = list(round1.round_items.values_list("item_id", flat=True))
    for member in (a, b):
        svc.rating_submit(
            panelist=member.panelist,
            round=round1,
            ratings=[svc.RatingInput(item_id=items[0], score=9), svc.RatingInput(item_id=items[1], score=1)]
            + [svc.RatingInput(item_id=items[2], score=s) for s in ([9] if member is a else [1])],
            complete=True,
        )
    rate_all(c, round1, 5, complete=False)
    svc.round_close(round=round1, by=facilitator)
    round2 = svc.round_open(round=svc.round_create(process=process, by=facilitator), by=facilitator)
    assert list(round2.round_items.values_list("item_id", flat=True)) == [items[2]]  # 0 is in, 1 is out
    assert set(round2.participations.values_list("panelist_id", flat=True)) == {a.panelist.pk, b.panelist.pk}


def test_reminders_email_only_panelists_who_have_not_completed_and_never_twice_a_day(process, facilitator):
    done, pending = add_member(process, "done@example.org"), add_member(process, "pending@example.org")
    round1 = svc.round_create(process=process, by=facilitator, closes_at=timezone.now() + dt.timedelta(days=10))
    round1 = svc.round_open(round=round1, by=facilitator)
    rate_all(done, round1, 7)
    mail.outbox.clear()
    assert svc.reminders_send() == 0  # 10 days before closing: outside the 3-day window
    now = round1.closes_at - dt.timedelta(days=2)
    assert svc.reminders_send(now=now) == 1
    assert [m.to for m in mail.outbox] == [[pending.panelist.email]]
    assert svc.reminders_send(now=now + dt.timedelta(hours=5)) == 0
    assert svc.reminders_send(now=now + dt.timedelta(hours=24)) == 1
    assert all(m.to != ["done@example.org"] for m in mail.outbox)


def test_reminder_task_is_scheduled_by_beat(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert any(entry["task"] == "outcomes.tasks.consensus_reminders_send" for entry in schedule.values())


def test_meeting_round_counts_online_and_live_votes_against_its_threshold(process, facilitator):
    members = [add_member(process, f"m{i}@example.org") for i in range(3)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 5)
    svc.round_close(round=round1, by=facilitator)
    meeting = svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)
    assert meeting.round_items.count() == 3  # no item had consensus in
    round_items = list(meeting.round_items.order_by("order"))
    for member in members:
        svc.rating_submit(
            panelist=member.panelist,
            round=meeting,
            ratings=[svc.RatingInput(item_id=ri.item_id, vote="include") for ri in round_items],
            complete=True,
        )
    svc.meeting_live_counts_set(round_item=round_items[0], include=4, exclude=3, abstain=2, by=facilitator)  # 7/10
    svc.meeting_live_counts_set(round_item=round_items[1], include=3, exclude=5, abstain=0, by=facilitator)  # 6/11
    with pytest.raises(ValidationError):
        svc.meeting_live_counts_set(round_item=round_items[2], include=-1, exclude=0, abstain=0, by=facilitator)
    with pytest.raises(svc.RatingsRefused):
        svc.rating_submit(
            panelist=members[0].panelist,
            round=meeting,
            ratings=[svc.RatingInput(item_id=round_items[0].item_id, score=9)],
        )
    svc.round_close(round=meeting, by=facilitator)
    from outcomes.services.tally import round_tally

    round_tally(round=Round.objects.get(pk=meeting.pk))
    results = {r.round_item_id: r for r in meeting.round_items.first().results.model.objects.filter(group=None)}
    first, second = results[round_items[0].pk], results[round_items[1].pk]
    assert first.distribution == {"include": 7, "exclude": 3, "abstain": 2}
    assert first.classification == "in"  # exactly 70% of votes cast
    assert second.classification == "out"


def test_meeting_results_count_votes_cast_and_report_abstentions_beside_them_overall_and_per_group(
    process, facilitator
):
    """7 include, 3 exclude, 10 abstain: 70.00% of the 10 votes cast, n = 10, 10 abstained (not 35% of 20)."""
    from outcomes.models import ItemResult
    from outcomes.services.tally import round_tally

    members = [add_member(process, f"m{i}@example.org", group_index=0) for i in range(4)]
    round1 = open_first_round(process, facilitator)
    for member in members:
        rate_all(member, round1, 5)
    svc.round_close(round=round1, by=facilitator)
    meeting = svc.round_open(round=svc.round_create(process=process, by=facilitator, kind="meeting"), by=facilitator)
    round_item = meeting.round_items.order_by("order").first()
    # Online: 2 include, 1 exclude, 1 abstain (all in the first group); live: 5 include, 2 exclude, 9 abstain.
    for member, vote in zip(members, ["include", "include", "exclude", "abstain"], strict=True):
        svc.rating_submit(
            panelist=member.panelist,
            round=meeting,
            ratings=[svc.RatingInput(item_id=ri.item_id, vote=vote) for ri in meeting.round_items.all()],
            complete=True,
        )
    svc.meeting_live_counts_set(round_item=round_item, include=5, exclude=2, abstain=9, by=facilitator)
    svc.round_close(round=meeting, by=facilitator)
    round_tally(round=Round.objects.get(pk=meeting.pk))
    overall = ItemResult.objects.get(round_item=round_item, group=None)
    assert (overall.n_include, overall.n_exclude, overall.n_abstain, overall.votes_cast) == (7, 3, 10, 10)
    assert (overall.n, overall.pct_high, overall.pct_low) == (10, Decimal("70.00"), Decimal("30.00"))
    assert overall.classification == "in"
    group = ItemResult.objects.get(round_item=round_item, group=process.groups.order_by("order", "id").first())
    assert (group.n_include, group.n_exclude, group.n_abstain, group.votes_cast, group.n) == (2, 1, 1, 3, 3)
    assert group.pct_high == Decimal("66.67")


@pytest.mark.parametrize("status", [ConsensusProcess.Status.FINALISED, ConsensusProcess.Status.PUBLISHED])
def test_a_finalised_or_published_process_keeps_its_settings_candidates_and_groups(process, facilitator, status):
    item = process.items.order_by("pk").first()
    group = process.groups.order_by("pk").first()
    ConsensusProcess.objects.filter(pk=process.pk).update(status=status)
    process.refresh_from_db()
    item.refresh_from_db()
    group.refresh_from_db()
    refusals = [
        lambda: svc.process_update(process=process, by=facilitator, title="A new title", reminder_days_before_close=1),
        lambda: svc.item_update(item=item, by=facilitator, name="Reworded"),
        lambda: svc.group_update(group=group, name="Renamed", by=facilitator),
        lambda: svc.group_delete(group=group, by=facilitator),
    ]
    for refuse in refusals:
        with pytest.raises(ValidationError) as exc:
            refuse()
        assert "can no longer change" in str(exc.value)
    process.refresh_from_db()
    assert process.title != "A new title"
    assert Item.objects.get(pk=item.pk).name == item.name
    assert process.groups.filter(pk=group.pk, name=group.name).exists()
