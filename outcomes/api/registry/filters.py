"""Filters of the core outcome set list (django-filter). An unknown or malformed value is a 400 naming the field."""

from __future__ import annotations

import re

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, QuerySet
from django.db.models.lookups import GreaterThan
from django_filters.constants import EMPTY_VALUES

from diseases.models import Condition, DiseaseArea, Icd10Code
from outcomes.models import CoreOutcomeSet, CoreOutcomeSetVersion, OutcomeDomain
from outcomes.search.engine import sets_matching
from outcomes.search.query import search_query
from outcomes.selectors import PUBLIC_STATUSES
from outcomes.services.search import domain_bit

ICD10_PREFIX_RE = re.compile(r"^[A-Z][0-9]{0,2}(\.[0-9A-Z]{0,4})?$")
SNOMED_RE = re.compile(r"^[0-9]{6,18}$")


def _validate_icd10(value: str) -> None:
    if not ICD10_PREFIX_RE.match(value.upper()):
        # The value goes in as a parameter: user input must never be read as a %-format string.
        raise ValidationError(
            "%(value)r is not an ICD-10 code or code prefix (e.g. I50 or I50.9).", params={"value": value}
        )


def _validate_snomed(value: str) -> None:
    if not SNOMED_RE.match(value):
        raise ValidationError("%(value)r is not a SNOMED CT concept id (6 to 18 digits).", params={"value": value})


def _public_versions() -> QuerySet[CoreOutcomeSetVersion]:
    return CoreOutcomeSetVersion.objects.filter(core_outcome_set=OuterRef("pk"), status__in=PUBLIC_STATUSES)


def _all(model):
    """The choices of a model filter as a callable (django-filter calls it with the request): a FilterSet
    deep-copies its filters on every request, and a QuerySet held by a filter is deep-copied with them, which was
    a tenth of a set list request's CPU (docs/performance.md)."""
    return lambda request: model.objects.all()


class StableOrderingFilter(django_filters.OrderingFilter):
    """The same page on PostgreSQL and SQLite: a set never published sorts last in either direction (PostgreSQL
    puts NULLs first when descending), and sets that tie (published the same day) are ordered by slug."""

    def get_ordering_value(self, param: str):
        descending = param.startswith("-")
        field = F(self.param_map[param.lstrip("-")])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs: QuerySet, value):
        if value in EMPTY_VALUES:
            return qs
        return super().filter(qs, value).order_by(*[self.get_ordering_value(param) for param in value], "slug")


class CoreOutcomeSetFilter(django_filters.FilterSet):
    disease_area = django_filters.ModelChoiceFilter(
        queryset=_all(DiseaseArea),
        to_field_name="slug",
        method="filter_disease_area",
        help_text="Disease area slug, e.g. heart-disease.",
    )
    condition = django_filters.ModelChoiceFilter(
        queryset=_all(Condition),
        to_field_name="slug",
        field_name="conditions",
        help_text="Condition slug, e.g. heart-failure.",
    )
    icd10 = django_filters.CharFilter(
        method="filter_icd10",
        validators=[_validate_icd10],
        help_text="ICD-10 code or prefix of a condition of the set: I50 matches I50 and I50.9.",
    )
    snomed = django_filters.CharFilter(
        field_name="conditions__snomed_ct_id",
        method="filter_snomed",
        validators=[_validate_snomed],
        help_text="SNOMED CT concept id of a condition of the set.",
    )
    domain = django_filters.ModelChoiceFilter(
        queryset=_all(OutcomeDomain),
        to_field_name="number",
        method="filter_domain",
        help_text="COMET outcome domain number (1-38): sets with a public version with an outcome in it.",
    )
    status = django_filters.ChoiceFilter(
        choices=[(s.value, s.label) for s in PUBLIC_STATUSES],
        method="filter_status",
        help_text="Sets that have a version in this status.",
    )
    published_after = django_filters.DateFilter(
        method="filter_published_after", help_text="Sets with a public version published on or after this date."
    )
    published_before = django_filters.DateFilter(
        method="filter_published_before", help_text="Sets with a public version published on or before this date."
    )
    q = django_filters.CharFilter(
        method="filter_q",
        help_text=(
            "Search words, ranked (the search engine of the search page and /api/v1/search/): title, conditions, "
            "disease area, ICD-10 and SNOMED CT codes, outcome names and definitions, domains, instruments, scope "
            "and developers; spelling variants, abbreviations and typos understood. Results are ordered by "
            "relevance unless `ordering` is given."
        ),
    )
    ordering = StableOrderingFilter(
        fields=(("title", "title"), ("slug", "slug"), ("created_at", "created"), ("latest_published_on", "published")),
        help_text="Sort order; prefix with - for descending.",
    )

    class Meta:
        model = CoreOutcomeSet
        fields: list[str] = []

    def is_valid(self) -> bool:
        """A parameter given without a value (`?published_before=`) is a 400 naming it, not "no filter": the client
        meant something, and the schema says a value is at least one character."""
        valid = super().is_valid()
        for name in self.filters:
            if any(not value.strip() for value in self.data.getlist(name)):
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid

    def filter_disease_area(self, queryset: QuerySet, name: str, value: DiseaseArea) -> QuerySet:
        # The same condition on both tables (the index row holds a copy of the set's disease area): on the index,
        # with `domain` and `q`, one row decides and the count is one scan of the area's rows; on the set, a page
        # walks the (disease area, title) index in title order and stops after a page (docs/performance.md).
        return queryset.filter(disease_area=value, search_index__disease_area=value)

    # Filters over many-valued relations use EXISTS, so a set that matches twice is still listed once.

    def filter_icd10(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        codes = Icd10Code.objects.filter(
            condition__core_outcome_sets=OuterRef("pk"), code__istartswith=value.strip().upper()
        )
        return queryset.filter(Exists(codes))

    def filter_snomed(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(Condition.objects.filter(core_outcome_sets=OuterRef("pk"), snomed_ct_id=value)))

    # `domain` and `q` look at the set search index (outcomes/models/search.py): the set's current domains, and its
    # searchable text, maintained by the version lifecycle. One row per set instead of a join over every outcome
    # of every public version (docs/performance.md).

    def filter_domain(self, queryset: QuerySet, name: str, value: OutcomeDomain) -> QuerySet:
        return queryset.filter(GreaterThan(F("search_index__domain_bits").bitand(domain_bit(value.number)), 0))

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Exists(_public_versions().filter(status=value)))

    def filter_published_after(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(Exists(_public_versions().filter(published_on__gte=value)))

    def filter_published_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(Exists(_public_versions().filter(published_on__lte=value)))

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # The one search engine (outcomes.search), ranked; `ordering`, declared after `q`, overrides the order.
        return sets_matching(queryset, search_query(value))


def schema_query_values_not_empty(result: dict, generator, request, public: bool) -> dict:
    """drf-spectacular post-processing hook: no query parameter of the API takes an empty value (filters:
    CoreOutcomeSetFilter.is_valid; page and page_size are integers), so every string one has minLength 1."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "query" and schema.get("type") == "string":
                    schema.setdefault("minLength", 1)
    return result
