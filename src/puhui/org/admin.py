from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from puhui.org.models import Bank, Branch, Grid, Township, User, Village


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city_name"]


class TownshipInline(admin.TabularInline):
    model = Township
    fields = ["code", "name"]
    extra = 0
    show_change_link = True


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "bank"]
    search_fields = ["code", "name"]
    inlines = [TownshipInline]


@admin.register(Township)
class TownshipAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "branch"]
    list_filter = ["branch"]
    search_fields = ["code", "name"]


@admin.register(Village)
class VillageAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "township", "is_rural", "registered_population", "registered_households"]
    list_filter = ["is_rural", "township"]
    search_fields = ["code", "name"]
    list_select_related = ["township"]


@admin.register(Grid)
class GridAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "village", "account_manager"]
    search_fields = ["code", "name", "village__name"]
    list_select_related = ["village", "account_manager"]
    autocomplete_fields = ["village", "account_manager"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "branch", "is_active", "is_staff"]
    list_filter = ["groups", "branch", "is_active", "is_staff"]
    search_fields = ["username", "full_name"]
    autocomplete_fields = ["branch", "village"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Bank organisation"), {"fields": ["full_name", "branch", "village"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        """Only a superuser grants superuser status or single permissions: the head office manages accounts and
        their roles, never raises an account (its own included) above what the roles allow."""
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            fields += ["is_superuser", "user_permissions"]
        return fields

    def has_delete_permission(self, request, obj=None) -> bool:
        """A user who leaves is made inactive, never deleted: the audit trail names its actors (and deleting one
        would rewrite their entries under the sealed audit chain)."""
        return False
