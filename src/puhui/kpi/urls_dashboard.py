"""考核评估 dashboard pages."""

from django.urls import path

from puhui.kpi import views_dashboard as views

app_name = "kpi_dashboard"
urlpatterns = [
    path("kpi/", views.overview, name="overview"),
    path("kpi/branches/<str:code>/", views.branch, name="branch"),
    path("kpi/townships/<str:code>/", views.township, name="township"),
    path("kpi/villages/<str:code>/", views.village, name="village"),
    path("kpi/series.json", views.series, name="series"),
    path("kpi/gap-report.xlsx", views.export, name="export"),
]
