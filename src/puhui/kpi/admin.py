"""Admin pages of the plan indicators: the head office adds plans (2021–2025 …) and their targets here."""

from django.contrib import admin

from puhui.kpi.models import Indicator, Plan, Target


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "unit", "source", "comparison", "ordering"]
    list_filter = ["source", "unit", "comparison"]
    search_fields = ["code", "name_zh", "name_en"]
    ordering = ["ordering", "code"]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 1
    fields = ["indicator", "year", "scope", "value", "note"]
    autocomplete_fields = ["indicator"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "start_year", "end_year"]
    inlines = [TargetInline]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["indicator", "plan", "year", "scope", "value", "note"]
    list_filter = ["plan", "year", "indicator__source"]
    search_fields = ["indicator__code", "indicator__name_zh", "note"]
    autocomplete_fields = ["indicator"]
from puhui.kpi import admin_register  # noqa: E402,F401  (registers its models)
