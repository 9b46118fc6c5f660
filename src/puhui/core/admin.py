from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from puhui.core.models import ApiToken, BusinessDate


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (the ledger's runs, imported figures, the business date): the admin shows
    them, never adds, changes or deletes them."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BusinessDate)
class BusinessDateAdmin(ReadOnlyAdmin):
    """Read-only: only end of day moves the business date."""

    list_display = ["business_date", "updated_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "created_at", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        from puhui.core.services import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token, actor=request.user)
