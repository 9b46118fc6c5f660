from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "puhui.deliberation"
    label = "deliberation"
    verbose_name = _("Whole-village deliberation and granting")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.deliberation.models import Campaign, DeliberationRules, LprRate, Objection, Proposal

        # votes are audited by their ballot's submission only: an audit diff would show their content
        for model in (Campaign, Proposal, Objection, LprRate, DeliberationRules):
            auditlog.register(model)
