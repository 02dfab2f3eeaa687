"""Every rule the database can hold is a named constraint; each is checked here below the ORM's validation."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from diseases.models import Condition
from outcomes.models import CoreOutcomeSetVersion, Measurement, OutcomeDomain, Rating, Reference
from outcomes.services.versions import version_publish
from tests.factories import (
    ConditionFactory,
    CoreOutcomeSetFactory,
    Icd10CodeFactory,
    OutcomeFactory,
    VersionFactory,
)

pytestmark = pytest.mark.django_db

Status = CoreOutcomeSetVersion.Status


def _refused(constraint: str, action) -> None:
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        action()
    # PostgreSQL names the constraint; SQLite names it for CHECKs and the columns for UNIQUE.
    assert constraint in str(excinfo.value) or "UNIQUE" in str(excinfo.value) or "unique" in str(excinfo.value)


def test_a_set_cannot_hold_the_same_version_number_twice(reference_data):
    version = VersionFactory(version="1.0.0")
    _refused(
        "version_unique_per_set",
        lambda: VersionFactory(core_outcome_set=version.core_outcome_set, version="1.0.0"),
    )


def test_a_set_has_at_most_one_published_version_in_the_database(reference_data):
    first = VersionFactory(version="1.0.0", status=Status.PUBLISHED)
    _refused(
        "one_published_version_per_set",
        lambda: VersionFactory(core_outcome_set=first.core_outcome_set, version="2.0.0", status=Status.PUBLISHED),
    )


def test_a_version_number_must_be_semver(reference_data):
    _refused("version_is_semver", lambda: VersionFactory(version="1.0"))
    _refused("version_is_semver", lambda: VersionFactory(version="01.0.0"))


def test_a_withdrawn_version_needs_a_reason(reference_data):
    _refused("withdrawn_version_has_reason", lambda: VersionFactory(status=Status.WITHDRAWN, withdrawn_reason=""))


def test_saving_a_version_keeps_its_numeric_parts_in_step(reference_data):
    version = VersionFactory(version="2.10.3")
    assert (version.major, version.minor, version.patch) == (2, 10, 3)


def test_outcome_names_are_unique_within_a_version(reference_data):
    outcome = OutcomeFactory(name="Pain")
    _refused("outcome_name_unique_per_version", lambda: OutcomeFactory(version=outcome.version, name="Pain"))


def test_a_measurement_names_an_instrument_or_a_timing(reference_data):
    outcome = OutcomeFactory()
    _refused(
        "measurement_has_instrument_or_timing",
        lambda: Measurement.objects.create(outcome=outcome, instrument=None, timing=""),
    )


def test_references_hold_well_formed_identifiers(reference_data):
    version = VersionFactory()
    _refused("reference_pmid_digits", lambda: Reference.objects.create(version=version, citation="x", pmid="PMID1"))
    _refused(
        "reference_doi_format",
        lambda: Reference.objects.create(version=version, citation="x", doi="doi:10.1/x"),
    )
    _refused("reference_pmcid_format", lambda: Reference.objects.create(version=version, citation="x", pmcid="123"))


def test_domain_numbers_stay_within_the_taxonomy(reference_data):
    _refused(
        "outcomedomain_number_1_38",
        lambda: OutcomeDomain.objects.create(number=39, name="x", core_area="death"),
    )


def test_snomed_ct_ids_are_digits_and_icd10_codes_unique_per_condition(reference_data):
    _refused("condition_snomed_ct_id_digits", lambda: ConditionFactory(snomed_ct_id="12ab56"))
    code = Icd10CodeFactory(code="I50")
    _refused("icd10code_unique_per_condition", lambda: Icd10CodeFactory(condition=code.condition, code="I50"))


def test_a_condition_cannot_be_its_own_parent(reference_data):
    condition = ConditionFactory()
    _refused(
        "condition_not_own_parent",
        lambda: Condition.objects.filter(pk=condition.pk).update(parent_id=condition.pk),
    )


def test_a_rating_score_is_on_the_1_to_9_scale(reference_data):
    from django.db import connection

    # The rating table's CHECK constraint, exercised without building a whole process.
    constraint_names = {c.name for c in Rating._meta.constraints}
    assert {
        "rating_score_1_to_9",
        "one_rating_per_panelist_item_round",
        "rating_unable_to_score_has_no_score",
    } <= constraint_names
    with connection.cursor() as cursor:
        introspected = connection.introspection.get_constraints(cursor, Rating._meta.db_table)
    if connection.vendor == "postgresql":
        assert "rating_score_1_to_9" in introspected


def test_publishing_supersedes_the_previous_published_version(reference_data):
    cos = CoreOutcomeSetFactory()
    first = VersionFactory(core_outcome_set=cos, version="1.0.0")
    second = VersionFactory(core_outcome_set=cos, version="1.1.0")
    version_publish(version=first)
    version_publish(version=second)
    first.refresh_from_db()
    assert (first.status, second.status) == (Status.SUPERSEDED, Status.PUBLISHED)
    assert second.published_at is not None


def test_a_correction_names_the_version_it_corrects(reference_data):
    _refused("correction_has_derived_from", lambda: VersionFactory(version="1.0.1", is_correction=True))
