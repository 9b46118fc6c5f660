"""Pages of the deliberation app: documents."""

from django.urls import path

from puhui.deliberation import document_views

urlpatterns = [
    path("notices/<int:pk>/", document_views.notice_detail, name="notice-detail"),
    path("notices/<int:pk>/pdf/", document_views.notice_pdf, name="notice-pdf"),
    path("proposals/<int:pk>/credit-notice.pdf", document_views.credit_notice_pdf, name="proposal-credit-notice"),
    path("verify/<slug:code>/", document_views.verify, name="document-verify"),
]
