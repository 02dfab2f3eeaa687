from __future__ import annotations

from django.contrib import admin

from diseases.models import Condition, DiseaseArea, Icd10Code


class ConditionInline(admin.TabularInline):
    model = Condition
    fields = ["slug", "name", "parent", "snomed_ct_id"]
    extra = 0
    show_change_link = True


@admin.register(DiseaseArea)
class DiseaseAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "programme_name", "programme_funder"]
    search_fields = ["name", "slug", "programme_name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ConditionInline]


class Icd10Inline(admin.TabularInline):
    model = Icd10Code
    extra = 1


@admin.register(Condition)
class ConditionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "disease_area", "snomed_ct_id"]
    list_filter = ["disease_area"]
    search_fields = ["name", "slug", "snomed_ct_id", "icd10_codes__code"]
    list_select_related = ["disease_area"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [Icd10Inline]
