"""考核评估 dashboard pages (filled by the dashboard work)."""

app_name = "kpi_dashboard"
urlpatterns: list = []
