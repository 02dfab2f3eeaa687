"""The audit log is append-only below the ORM, and readable by admins and a process's facilitators."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from outcomes.audit_triggers import audit_triggers_present
from outcomes.models import AuditEvent, ConsensusProcess
from outcomes.services.audit import audit_record
from tests.factories import FacilitatorFactory, SiteAdminFactory, UserFactory, VersionFactory


def make_process(title: str = "A Delphi process") -> ConsensusProcess:
    version = VersionFactory()
    return ConsensusProcess.objects.create(
        core_outcome_set=version.core_outcome_set, draft_version=version, title=title
    )


def record_event(*, process: ConsensusProcess | None = None, action: str = "round.open") -> AuditEvent:
    obj = process or VersionFactory()
    return audit_record(action=action, obj=obj, actor=None, process=process, before={"a": 1}, after={"a": 2})


@pytest.mark.django_db
def test_the_append_only_triggers_exist_after_migrating():
    assert audit_triggers_present(connection)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        lambda event: AuditEvent.objects.filter(pk=event.pk).update(action="tampered"),
        lambda event: (setattr(event, "action", "tampered"), event.save()),
        lambda event: connection.cursor().execute(
            "UPDATE outcomes_auditevent SET action = 'tampered' WHERE id = %s", [event.pk]
        ),
        lambda event: connection.cursor().execute(
            "UPDATE outcomes_auditevent SET actor_id = NULL WHERE id = %s", [event.pk]
        ),
    ],
    ids=["queryset-update", "model-save", "raw-sql", "null-a-link"],
)
def test_updating_an_audit_event_is_refused_by_the_database(change):
    event = record_event()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        change(event)
    assert AuditEvent.objects.get(pk=event.pk).action == "round.open"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "delete",
    [
        lambda event: event.delete(),
        lambda event: AuditEvent.objects.all().delete(),
        lambda event: connection.cursor().execute("DELETE FROM outcomes_auditevent WHERE id = %s", [event.pk]),
    ],
    ids=["model-delete", "queryset-delete", "raw-sql"],
)
def test_deleting_an_audit_event_is_refused_by_the_database(delete):
    event = record_event()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        delete(event)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_deleting_a_user_keeps_their_audit_events_and_their_id():
    user = UserFactory(username="leaving")
    version = VersionFactory()
    event = audit_record(action="version.edit", obj=version, actor=user)
    user_id = user.pk
    user.delete()
    event = AuditEvent.objects.select_related("actor").get(pk=event.pk)
    assert event.actor_id == user_id
    assert event.actor is None  # the row is gone, the log still says who it was
    assert event.actor_label == "leaving"


@pytest.mark.django_db
def test_deleting_a_process_keeps_its_audit_events():
    process = make_process()
    event = record_event(process=process)
    process_id = process.pk
    process.delete()
    assert AuditEvent.objects.get(pk=event.pk).process_id == process_id


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_audit_log_and_leaves_it_append_only():
    event = record_event()
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    assert audit_triggers_present(connection)
    event = record_event()
    with pytest.raises(IntegrityError, match="append-only"):
        AuditEvent.objects.filter(pk=event.pk).delete()


# Who may read the log ------------------------------------------------------------------------------------------


@pytest.fixture
def two_processes(db):
    mine, theirs = make_process("Mine"), make_process("Theirs")
    facilitator = FacilitatorFactory()
    other_facilitator = FacilitatorFactory(username="other-facilitator")
    mine.facilitators.add(facilitator)
    theirs.facilitators.add(other_facilitator)
    record_event(process=mine, action="round.open.mine")
    record_event(process=theirs, action="round.open.theirs")
    return mine, theirs, facilitator, other_facilitator


@pytest.mark.django_db
def test_an_admin_reads_the_whole_audit_log(client, two_processes):
    client.force_login(SiteAdminFactory(is_superuser=False))
    response = client.get(reverse("audit:log"))
    assert response.status_code == 200
    assert b"round.open.mine" in response.content
    assert b"round.open.theirs" in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["facilitator", "curator", "nobody"])
def test_only_admins_read_the_whole_audit_log(client, two_processes, username):
    user = UserFactory(username=username)
    if username == "curator":
        user.groups.add(Group.objects.get_or_create(name="curators")[0])
    client.force_login(user)
    response = client.get(reverse("audit:log"))
    assert response.status_code == 403
    assert b"round.open" not in response.content


@pytest.mark.django_db
def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_audit_log(client, two_processes):
    mine = two_processes[0]
    for url in (reverse("audit:log"), reverse("audit:process-log", args=[mine.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_facilitator_reads_only_their_process_audit_log(client, two_processes):
    mine, theirs, facilitator, _ = two_processes
    client.force_login(facilitator)
    response = client.get(reverse("audit:process-log", args=[mine.pk]))
    assert response.status_code == 200
    assert b"round.open.mine" in response.content
    assert b"round.open.theirs" not in response.content
    assert client.get(reverse("audit:process-log", args=[theirs.pk])).status_code == 403


@pytest.mark.django_db
def test_an_admin_reads_any_process_audit_log(client, two_processes):
    _, theirs, _, _ = two_processes
    client.force_login(SiteAdminFactory(is_superuser=False))
    response = client.get(reverse("audit:process-log", args=[theirs.pk]))
    assert response.status_code == 200
    assert b"round.open.theirs" in response.content


@pytest.mark.django_db
def test_the_audit_log_of_an_unknown_process_is_not_found(client):
    client.force_login(SiteAdminFactory(is_superuser=False))
    assert client.get(reverse("audit:process-log", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_audit_log_page_query_count_does_not_grow_with_events(client, django_assert_max_num_queries):
    client.force_login(SiteAdminFactory(is_superuser=False))
    user = get_user_model().objects.get(username="admin")
    version = VersionFactory()
    audit_record(action="one", obj=version, actor=user)
    with django_assert_max_num_queries(6):
        client.get(reverse("audit:log"))
    for _ in range(30):
        audit_record(action="many", obj=version, actor=user, core_outcome_set=version.core_outcome_set)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("audit:log")).status_code == 200
