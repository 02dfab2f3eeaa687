"""Published, superseded and withdrawn versions are immutable below the ORM (database triggers).

Every test here runs on the database under test: SQLite locally, and PostgreSQL in CI (DATABASE_URL), so the
refusals are checked on both; the `requires_postgres` tests add PostgreSQL-only checks.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from outcomes.immutability import IMMUTABLE_MARKER
from outcomes.models import CoreOutcomeSetVersion, Measurement, Outcome, OutcomeDomain, Reference
from outcomes.services.versions import version_draft_create, version_publish, version_withdraw
from tests.conftest import requires_postgres
from tests.factories import InstrumentFactory
from tests.outcomes.builders import version_with_content

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def _refused(action) -> str:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        action()
    assert IMMUTABLE_MARKER in str(excinfo.value)
    return str(excinfo.value)


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def frozen(reference_data) -> CoreOutcomeSetVersion:
    return version_with_content()


def test_bulk_update_of_a_published_outcome_is_refused(frozen):
    _refused(lambda: Outcome.objects.filter(version=frozen).update(definition="Changed"))
    assert set(frozen.outcomes.values_list("definition", flat=True)) == {"How the outcome is defined."}


def test_raw_sql_update_of_a_published_outcome_is_refused(frozen):
    outcome = frozen.outcomes.first()
    _refused(lambda: _raw("UPDATE outcomes_outcome SET name = %s WHERE id = %s", ["Renamed", outcome.pk]))
    outcome.refresh_from_db()
    assert outcome.name != "Renamed"


def test_raw_sql_insert_of_an_outcome_into_a_published_version_is_refused(frozen):
    _refused(
        lambda: _raw(
            'INSERT INTO outcomes_outcome (version_id, identity, name, definition, applies_to, note, "order", '
            "definition_agreed, measurement_agreed, meaning_changed) VALUES (%s, %s, %s, '', '', '', 0, %s, %s, %s)",
            [frozen.pk, "0f0e0d0c-0b0a-0908-0706-050403020100", "Sneaked in", False, False, False],
        )
    )
    assert frozen.outcomes.count() == 2


def test_deleting_a_published_outcome_is_refused(frozen):
    _refused(lambda: frozen.outcomes.first().delete())
    assert frozen.outcomes.count() == 2


def test_moving_a_draft_outcome_into_a_published_version_is_refused(frozen):
    draft = version_draft_create(from_version=frozen)
    outcome = draft.outcomes.first()
    _refused(lambda: Outcome.objects.filter(pk=outcome.pk).update(version=frozen))


def test_measurements_of_a_published_version_cannot_be_added_changed_or_deleted(frozen):
    outcome = frozen.outcomes.first()
    _refused(lambda: Measurement.objects.filter(outcome__version=frozen).update(timing="Never"))
    _refused(lambda: Measurement.objects.create(outcome=outcome, instrument=InstrumentFactory(), timing="Daily"))
    _refused(lambda: Measurement.objects.filter(outcome=outcome).delete())
    assert Measurement.objects.filter(outcome__version=frozen).count() == 2


def test_the_domains_of_a_published_outcome_cannot_change(frozen):
    outcome = frozen.outcomes.first()
    _refused(lambda: outcome.domains.add(OutcomeDomain.objects.get(number=2)))
    _refused(lambda: outcome.domains.clear())
    through = Outcome.domains.through
    _refused(lambda: through.objects.filter(outcome=outcome).update(outcomedomain=OutcomeDomain.objects.get(number=3)))
    assert [d.number for d in outcome.domains.all()] == [1]


def test_references_of_a_published_version_cannot_be_added_changed_or_deleted(frozen):
    _refused(lambda: Reference.objects.create(version=frozen, citation="Late addition"))
    _refused(lambda: frozen.references.update(citation="Rewritten"))
    _refused(lambda: _raw("DELETE FROM outcomes_reference WHERE version_id = %s", [frozen.pk]))
    assert list(frozen.references.values_list("citation", flat=True)) == ["Author A. Journal 2020"]


@pytest.mark.parametrize(
    "change",
    [
        {"changelog": "Rewritten history"},
        {"version": "9.9.9", "major": 9, "minor": 9, "patch": 9},
        {"published_on": None},
        {"published_at": None},
        {"status": Status.DRAFT},
        {"status": Status.IN_CONSENSUS},
        {"status": Status.WITHDRAWN, "withdrawn_reason": ""},
    ],
)
def test_a_published_version_content_and_illegal_status_changes_are_refused(frozen, change):
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(**change))
    frozen.refresh_from_db()
    assert (frozen.status, frozen.version, frozen.changelog) == (Status.PUBLISHED, "1.0.0", "")


def test_a_published_correction_cannot_be_unflagged_nor_a_version_flagged_afterwards(frozen):
    draft = version_draft_create(from_version=frozen, correction=True)
    Outcome.objects.filter(version=draft, name="Pain").update(name="Pain at rest")
    version_publish(version=draft)
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=draft.pk).update(is_correction=False))
    _refused(
        lambda: _raw("UPDATE outcomes_coreoutcomesetversion SET is_correction = %s WHERE id = %s", [True, frozen.pk])
    )
    frozen.refresh_from_db()
    draft.refresh_from_db()
    assert (draft.is_correction, frozen.is_correction) == (True, False)


def test_a_frozen_version_cannot_be_moved_to_another_set_or_rederived(frozen):
    other = version_with_content()
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(derived_from=other))
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(core_outcome_set=other.core_outcome_set))


def test_superseded_and_withdrawn_versions_cannot_come_back(frozen):
    second = version_draft_create(from_version=frozen)
    version_publish(version=second)
    version_withdraw(version=second, reason="Mistake")
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).update(status=Status.PUBLISHED))
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=second.pk).update(status=Status.PUBLISHED))
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=second.pk).update(withdrawn_reason="Other reason"))
    _refused(lambda: Outcome.objects.filter(version=frozen).update(note="x"))
    _refused(lambda: Outcome.objects.filter(version=second).update(note="x"))


def test_a_published_version_cannot_be_deleted(frozen):
    _refused(lambda: frozen.delete())
    _refused(lambda: _raw("DELETE FROM outcomes_coreoutcomesetversion WHERE id = %s", [frozen.pk]))
    assert CoreOutcomeSetVersion.objects.filter(pk=frozen.pk).exists()


def test_the_legal_transitions_pass_the_triggers(frozen):
    # published -> superseded and published -> withdrawn (with reason and time) are allowed, even in raw SQL.
    _raw(
        "UPDATE outcomes_coreoutcomesetversion SET status = 'withdrawn', withdrawn_reason = %s, "
        "withdrawn_at = CURRENT_TIMESTAMP WHERE id = %s",
        ["Found an error", frozen.pk],
    )
    frozen.refresh_from_db()
    assert frozen.status == Status.WITHDRAWN


def test_a_draft_and_its_deletion_are_not_affected(frozen):
    draft = version_draft_create(from_version=frozen)
    Outcome.objects.filter(version=draft).update(definition="Edited")
    draft.references.all().delete()
    draft.delete()
    assert not CoreOutcomeSetVersion.objects.filter(pk=draft.pk).exists()


def test_the_triggers_are_installed_on_this_database(reference_data):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'cos_immutable_%%' AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'cos_immutable_%'")
        names = {row[0] for row in cursor.fetchall()}
    expected = 5 if connection.vendor == "postgresql" else 14
    assert len(names) == expected, names


@requires_postgres
def test_on_postgresql_a_refusal_is_an_integrity_error_with_the_restrict_violation_code(frozen):
    import psycopg2

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        Outcome.objects.filter(version=frozen).update(name="x")
    cause = excinfo.value.__cause__
    assert isinstance(cause, psycopg2.errors.RestrictViolation)
    assert cause.pgcode == "23001"


@pytest.mark.django_db(transaction=True)
def test_a_full_flush_still_empties_frozen_versions(reference_data):
    """Test teardown flushes the database; on SQLite that is a DELETE per table, which the triggers let through."""
    from django.core.management import call_command

    version_with_content()
    call_command("flush", interactive=False, verbosity=0)
    assert not CoreOutcomeSetVersion.objects.exists()
    assert not Outcome.objects.exists()


def test_triggers_lost_in_a_table_rebuild_are_put_back_after_migrate(frozen):
    """SQLite drops a table's triggers when a migration rebuilds it; every migrate re-installs them."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER cos_immutable_outcome ON outcomes_outcome")
        else:
            cursor.execute("DROP TRIGGER cos_immutable_outcome_update")
    Outcome.objects.filter(version=frozen).update(note="unguarded")  # the hole the rebuild would leave
    post_migrate.send(
        sender=apps.get_app_config("outcomes"), app_config=apps.get_app_config("outcomes"), using="default"
    )
    _refused(lambda: Outcome.objects.filter(version=frozen).update(note="guarded again"))


def test_who_published_a_version_cannot_be_rewritten_but_survives_the_account_deletion(reference_data):
    from tests.factories import UserFactory

    publisher, other = UserFactory(username="publisher"), UserFactory(username="other")
    version = version_with_content(publish=False)
    version_publish(version=version, by=publisher)
    _refused(lambda: CoreOutcomeSetVersion.objects.filter(pk=version.pk).update(published_by=other))
    publisher.delete()  # on_delete=SET_NULL: clearing it is the one change allowed
    version.refresh_from_db()
    assert version.published_by is None and version.status == Status.PUBLISHED
