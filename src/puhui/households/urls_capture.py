"""Capture pages (扫村建档): households of a village, the household card, members, photos, reveals, export."""

from django.urls import path

from puhui.households import capture_views as views

urlpatterns = [
    path("villages/<str:code>/households/", views.village_households, name="village-households"),
    path("villages/<str:code>/households/new/", views.household_create, name="household-create"),
    path("villages/<str:code>/export.xlsx", views.village_export, name="village-export"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/new/", views.person_create, name="person-create"),
    path("households/<int:pk>/photos/new/", views.photo_create, name="photo-create"),
    path("households/<int:pk>/reveal-address/", views.household_reveal_address, name="household-reveal-address"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person-edit"),
    path("persons/<int:pk>/delete/", views.person_delete, name="person-delete"),
    path("persons/<int:pk>/reveal/<str:field>/", views.person_reveal, name="person-reveal"),
    path("photos/<int:pk>/image.jpg", views.photo_image, name="photo-image"),
    path("photos/<int:pk>/thumbnail.jpg", views.photo_thumbnail, name="photo-thumbnail"),
]
