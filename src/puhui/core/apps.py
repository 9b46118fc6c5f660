from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "puhui.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.core.models import ApiToken, BusinessDate

        auditlog.register(BusinessDate)
        auditlog.register(ApiToken, exclude_fields=["key_hash"])
