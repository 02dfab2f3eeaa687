"""factory-boy factories for test data, and the named users of permission tests (their one definition; the
fixtures `curator`, `facilitator` and `outsider` in tests/conftest.py build them)."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from diseases.models import Condition, DiseaseArea, Icd10Code
from outcomes.models import (
    CoreOutcomeSet,
    CoreOutcomeSetVersion,
    Instrument,
    Measurement,
    Outcome,
    OutcomeDomain,
    Reference,
    WebhookEndpoint,
)
from outcomes.permissions import CURATORS_GROUP
from outcomes.services.search import set_search_index_refresh
from outcomes.services.webhooks import WEBHOOK_EVENTS, webhook_secret_generate


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery-staple")


# The named users. A facilitator is a plain user until a consensus process names them; an outsider stays one.
class CuratorFactory(UserFactory):
    """A member of the curators group, who curates every set."""

    class Meta:
        skip_postgeneration_save = True  # the hook adds a group only

    username = "curator"

    @factory.post_generation
    def curators_group(self, create: bool, extracted: None, **kwargs) -> None:
        if create:
            self.groups.add(Group.objects.get_or_create(name=CURATORS_GROUP)[0])


class FacilitatorFactory(UserFactory):
    username = "facilitator"


class OutsiderFactory(UserFactory):
    username = "outsider"


class SiteAdminFactory(UserFactory):
    """Staff and superuser: the Django admin and every audit log."""

    username = "admin"
    is_staff = True
    is_superuser = True


class DiseaseAreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiseaseArea

    slug = factory.Sequence(lambda n: f"area-{n}")
    name = factory.Sequence(lambda n: f"Disease area {n}")


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition

    slug = factory.Sequence(lambda n: f"condition-{n}")
    name = factory.Sequence(lambda n: f"Condition {n}")
    disease_area = factory.SubFactory(DiseaseAreaFactory)


class Icd10CodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Icd10Code

    condition = factory.SubFactory(ConditionFactory)
    code = factory.Sequence(lambda n: f"X{n % 100:02d}")


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument

    acronym = factory.Sequence(lambda n: f"INS-{n}")
    name = factory.Sequence(lambda n: f"Instrument {n}")
    kind = Instrument.Kind.PROM


class CoreOutcomeSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoreOutcomeSet
        skip_postgeneration_save = True  # the hook writes the search index only

    slug = factory.Sequence(lambda n: f"set-{n}")
    title = factory.Sequence(lambda n: f"Core outcome set {n}")
    disease_area = factory.SubFactory(DiseaseAreaFactory)
    scope_population = "Adults"
    developers = "A working group"

    @factory.post_generation
    def search_index(self, create: bool, extracted: None, **kwargs) -> None:
        # As the admin and the reference data load do for a new set: its title is searchable at once.
        if create:
            set_search_index_refresh(core_outcome_set=self)


class VersionFactory(factory.django.DjangoModelFactory):
    """A draft version; publish it through outcomes.services.versions to freeze it."""

    class Meta:
        model = CoreOutcomeSetVersion

    core_outcome_set = factory.SubFactory(CoreOutcomeSetFactory)
    version = "1.0.0"
    status = CoreOutcomeSetVersion.Status.DRAFT
    published_on = dt.date(2024, 1, 1)


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome
        skip_postgeneration_save = True  # the hook sets many-to-many links only

    version = factory.SubFactory(VersionFactory)
    name = factory.Sequence(lambda n: f"Outcome {n}")
    definition = "How the outcome is defined."
    order = factory.Sequence(int)

    @factory.post_generation
    def domains(self, create: bool, extracted: list | None, **kwargs) -> None:
        if not create:
            return
        self.domains.set(extracted if extracted is not None else [OutcomeDomain.objects.get(number=1)])


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    outcome = factory.SubFactory(OutcomeFactory)
    instrument = factory.SubFactory(InstrumentFactory)
    timing = "Baseline and 12 months"


class ReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reference

    version = factory.SubFactory(VersionFactory)
    citation = "Author A, et al. Journal 2024;1:1-10"
    doi = factory.Sequence(lambda n: f"10.1000/test.{n}")


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An endpoint made without the URL checks (synthetic host); tests that deliver point it at their own receiver
    on 127.0.0.1 with WEBHOOK_ALLOW_PRIVATE_TARGETS."""

    class Meta:
        model = WebhookEndpoint

    owner = factory.SubFactory(UserFactory)
    url = "https://hooks.example.org/cos"
    events = factory.LazyFunction(lambda: list(WEBHOOK_EVENTS))
    secret = factory.LazyFunction(webhook_secret_generate)
