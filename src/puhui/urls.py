from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from puhui.api_v1 import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("puhui.web.urls")),
    path("", include("puhui.households.urls")),
    path("", include("puhui.households.urls_capture")),
    path("", include("puhui.credit.urls")),
    path("", include("puhui.deliberation.urls_staff")),
    path("", include("puhui.deliberation.urls_evaluator")),
    path("", include("puhui.deliberation.urls_documents")),
    path("", include("puhui.kpi.urls_dashboard")),
    path("", include("puhui.kpi.urls_figures")),
    path("", include("puhui.kpi.urls_register")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler404 = "puhui.web.views.not_found"
handler500 = "puhui.web.views.server_error"
