"""Staff pages of whole-village credit: campaigns, rounds, proposals, approval batches."""

from django.urls import path

from puhui.deliberation import staff_views as views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/panel/", views.panel_add, name="campaign-panel-add"),
    path("campaigns/<int:pk>/rounds/", views.round_start, name="campaign-round-start"),
    path("campaigns/<int:pk>/notice/", views.notice_publish, name="campaign-notice"),
    path("campaigns/<int:pk>/submit/", views.batch_submit, name="campaign-submit"),
    path("rounds/<int:pk>/", views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/close/", views.round_close, name="round-close"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/grey/", views.proposal_grey, name="proposal-grey"),
    path("proposals/<int:pk>/objections/", views.objection_add, name="proposal-objection"),
    path(
        "proposals/<int:pk>/objections/<int:objection_id>/resolve/",
        views.objection_resolve,
        name="proposal-objection-resolve",
    ),
    path("proposals/<int:pk>/decide/", views.proposal_decide, name="proposal-decide"),
    path("proposals/<int:pk>/sign/", views.proposal_sign, name="proposal-sign"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/decide/", views.batch_decide, name="batch-decide"),
    path("batches/<int:pk>/export.xlsx", views.batch_export, name="batch-export"),
]
