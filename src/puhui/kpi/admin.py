"""Admin pages of the plan indicators: the head office adds plans (2021–2025 …) and their targets here."""

from django.contrib import admin

from puhui.core.admin import ReadOnlyAdmin
from puhui.kpi.models import BranchTarget, FigureUpload, ImportedFigure, Indicator, Plan, Target


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


@admin.register(FigureUpload)
class FigureUploadAdmin(ReadOnlyAdmin):
    list_display = [
        "file_name",
        "source_system",
        "uploaded_by",
        "uploaded_at",
        "rows_total",
        "rows_applied",
        "rows_rejected",
    ]
    list_filter = ["source_system"]
    search_fields = ["file_name", "file_sha256", "uploaded_by__username"]
    date_hierarchy = "uploaded_at"


@admin.register(ImportedFigure)
class ImportedFigureAdmin(ReadOnlyAdmin):
    list_display = [
        "indicator",
        "scope",
        "period",
        "value",
        "source_system",
        "entered_by",
        "entered_at",
        "superseded_by",
    ]
    list_filter = ["source_system", "indicator", ("superseded_by", admin.EmptyFieldListFilter)]
    search_fields = ["indicator__code", "scope", "note"]
    list_select_related = ["indicator", "entered_by"]
    date_hierarchy = "period"


@admin.register(BranchTarget)
class BranchTargetAdmin(admin.ModelAdmin):
    list_display = ["branch", "indicator", "year", "value", "note", "entered_by", "entered_at"]
    list_filter = ["year", "branch"]
    search_fields = ["indicator__code", "branch__name", "note"]
    autocomplete_fields = ["indicator"]
    readonly_fields = ["entered_by", "entered_at"]

    def save_model(self, request, obj, form, change) -> None:
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


from puhui.kpi import admin_register  # noqa: E402,F401  (registers its models)
