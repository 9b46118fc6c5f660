"""Service-point register and designation pages."""

from django.urls import path

from puhui.kpi import views_register as views

app_name = "kpi_register"
urlpatterns = [
    path("kpi/service-points/", views.service_points, name="service-points"),
    path("kpi/service-points/template/", views.service_point_template, name="service-point-template"),
    path("kpi/designations/", views.designations, name="designations"),
    path("kpi/designations/evaluate/", views.designations_evaluate_now, name="designations-evaluate"),
]
