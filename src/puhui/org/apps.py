from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "puhui.org"
    label = "org"
    verbose_name = _("Organisation and geography")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.org import models

        for model in (models.Bank, models.Branch, models.Township, models.Village, models.Grid):
            auditlog.register(model)
        auditlog.register(models.User, exclude_fields=["password", "last_login"], m2m_fields={"groups"})
