from django.urls import path

from puhui.households import import_views as views

urlpatterns = [
    path("imports/households/", views.import_upload, name="household-import"),
    path("imports/households/template.xlsx", views.import_template, name="household-import-template"),
    path("imports/jobs/<int:pk>/", views.import_job, name="import-job"),
    path("imports/jobs/<int:pk>/progress/", views.import_job_progress, name="import-job-progress"),
    path("imports/jobs/<int:pk>/errors.xlsx", views.import_job_errors, name="import-job-errors"),
    path("coverage/", views.coverage, name="coverage"),
]
