from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "puhui.core"
    label = "core"
    verbose_name = _("Platform")

    def ready(self) -> None:
        from auditlog.models import LogEntry
        from auditlog.registry import auditlog
        from django.db.models.signals import pre_save

        from puhui.core.audit import stamp_log_entry

        pre_save.connect(stamp_log_entry, sender=LogEntry, dispatch_uid="puhui-stamp-log-entry")

        from puhui.core.models import ApiToken, BusinessDate

        auditlog.register(BusinessDate)
        auditlog.register(ApiToken, exclude_fields=["key_hash"])
