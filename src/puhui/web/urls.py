from django.contrib.auth import views as auth_views
from django.urls import path

from puhui.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("villages/", views.village_list, name="village-list"),
    path("villages/<str:code>/", views.village_detail, name="village-detail"),
    path("healthz", views.healthz, name="healthz"),
]
