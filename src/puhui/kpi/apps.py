from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "puhui.kpi"
    label = "kpi"
    verbose_name = _("Plan indicators")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.kpi.models import BranchTarget, DesignationRules, Indicator, Plan, ServicePoint, Target

        auditlog.register(Indicator)
        auditlog.register(Plan)
        auditlog.register(Target)
        auditlog.register(DesignationRules)
        auditlog.register(ServicePoint)
        auditlog.register(BranchTarget)
