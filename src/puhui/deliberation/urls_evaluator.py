"""Pages of the deliberation app: evaluator (背靠背评议 on the phone)."""

from django.urls import path

from puhui.deliberation import evaluator_views as views

urlpatterns = [
    path("evaluate/", views.round_list, name="evaluate-list"),
    path("evaluate/<int:round_id>/", views.round_start, name="evaluate-round"),
    path("evaluate/<int:round_id>/<int:n>/", views.card, name="evaluate-card"),
    path("evaluate/<int:round_id>/<int:n>/save/", views.card_save, name="evaluate-save"),
    path(
        "evaluate/<int:round_id>/<int:n>/photos/<int:photo_id>/thumbnail.jpg",
        views.card_photo,
        name="evaluate-photo",
    ),
    path("evaluate/<int:round_id>/submit/", views.submit, name="evaluate-submit"),
    path("evaluate/<int:round_id>/submitted/", views.done, name="evaluate-done"),
]
