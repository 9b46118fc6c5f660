"""Imported figures and the branch annual plans (年度实施计划)."""

from django.urls import path

from puhui.kpi import views_figures as views

app_name = "kpi_figures"
urlpatterns = [
    path("kpi/figures/", views.figures_index, name="index"),
    path("kpi/figures/upload/", views.figures_upload, name="upload"),
    path("kpi/figures/template/<slug:source>/", views.figures_template, name="template"),
    path("kpi/figures/uploads/<int:pk>/", views.upload_detail, name="upload-detail"),
    path("kpi/figures/uploads/<int:pk>/errors.xlsx", views.upload_errors, name="upload-errors"),
    path("kpi/figures/enter/", views.figures_enter, name="enter"),
    path("kpi/figures/history/<str:code>/<str:scope>/", views.figures_history, name="history"),
    path("kpi/branch-plans/", views.branch_plans, name="branch-plans"),
    path("kpi/branch-plans/<str:code>/<int:year>/", views.branch_plan_edit, name="branch-plan-edit"),
]
