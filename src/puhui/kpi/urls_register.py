"""Service-point register and designation pages."""

app_name = "kpi_register"
urlpatterns: list = []
