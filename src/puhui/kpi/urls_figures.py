"""Imported figures, branch annual plans, service points and designations pages."""

app_name = "kpi_figures"
urlpatterns: list = []
