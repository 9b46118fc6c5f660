from axes.apps import AppConfig as AxesAppConfig
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "puhui.web"
    label = "web"
    verbose_name = _("Web pages")

    def ready(self) -> None:
        from django.contrib import admin

        admin.site.site_header = _("puhui administration")
        admin.site.site_title = _("puhui administration")
        admin.site.index_title = _("Configuration and registers")


class LockoutAppConfig(AxesAppConfig):
    """django-axes (its signals and checks unchanged) under a translated name in the admin."""

    verbose_name = _("Login lockout")
