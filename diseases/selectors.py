"""Reads of disease areas and conditions. A read that also needs the registry's data (how many sets an area has)
lives in outcomes' selectors, since data flows one way: outcomes reads diseases, never the reverse."""

from __future__ import annotations

from django.db.models import QuerySet

from diseases.models import Condition


def condition_list() -> QuerySet[Condition]:
    return Condition.objects.select_related("disease_area", "parent").prefetch_related("icd10_codes")
