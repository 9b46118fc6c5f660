"""Credit-line pages: the farmer's own line (my/credit/…) and the staff line pages (credit-lines/…)."""

from django.urls import path

from puhui.credit import office_views, views

urlpatterns = [
    path("my/credit/", views.my_credit, name="my-credit"),
    path("my/credit/<int:pk>/draw/", views.my_draw, name="my-credit-draw"),
    path("my/credit/<int:pk>/repay/", views.my_repay, name="my-credit-repay"),
    path("my/credit/<int:pk>/confirm/<str:token>/", views.my_confirm, name="my-credit-confirm"),
    path("credit-lines/", views.line_list, name="credit-line-list"),
    path("credit-lines/<int:pk>/", views.line_detail, name="credit-line-detail"),
    path("credit-lines/<int:pk>/draw/", views.line_draw, name="credit-line-draw"),
    path("credit-lines/<int:pk>/repay/", views.line_repay, name="credit-line-repay"),
    path("credit-lines/<int:pk>/confirm/<str:token>/", views.line_confirm, name="credit-line-confirm"),
    path("credit-lines/<int:pk>/receipt/<int:journal_id>/", views.line_receipt, name="credit-line-receipt"),
    path("eod/", office_views.eod_page, name="eod"),
    path("eod/jobs/<int:pk>/", office_views.eod_job, name="eod-job"),
    path("eod/jobs/<int:pk>/progress/", office_views.eod_job_progress, name="eod-job-progress"),
    path("ledger/", office_views.ledger_page, name="ledger"),
]
