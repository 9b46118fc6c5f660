from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseholdsConfig(AppConfig):
    name = "puhui.households"
    label = "households"
    verbose_name = _("Households and profiles")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from puhui.households.models import Household, Person, Photo

        auditlog.register(Household, mask_fields=["address"])
        auditlog.register(Person, exclude_fields=["id_index", "phone_index"], mask_fields=["id_number", "phone"])
        auditlog.register(Photo, exclude_fields=["thumbnail"])
