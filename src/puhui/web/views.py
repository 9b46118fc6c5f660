"""Thin page views: parse, call one selector, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from puhui.core.errors import error_body
from puhui.org import selectors


def staff_required(view):
    """Staff pages: anonymous → login; an authenticated non-staff user (farmer, evaluator) → 403."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_bank_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@login_required
@require_GET
def home(request):
    """Each role's start page: its scope with real counts."""
    user = request.user
    context = {"summary": selectors.scope_summary(user=user)}
    if user.is_bank_staff:
        context["townships"] = selectors.township_summaries(user=user)
        context["grids"] = user.grids.select_related("village").order_by("code")
    return render(request, "web/home.html", context)


@staff_required
@require_GET
def village_list(request):
    township_code = request.GET.get("township") or None
    township = selectors.township_get(user=request.user, code=township_code) if township_code else None
    villages = selectors.village_list(user=request.user, township_code=township_code)
    return render(request, "web/village_list.html", {"villages": villages, "township": township})


@staff_required
@require_GET
def village_detail(request, code: str):
    village = selectors.village_get(user=request.user, code=code)
    grids = village.grids.select_related("account_manager").order_by("code")
    return render(request, "web/village_detail.html", {"village": village, "grids": grids})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", _("Not found, or outside your scope.")), status=404)
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith("/api/"):
        body = error_body("server_error", _("An unexpected error occurred; it has been logged."))
        return JsonResponse(body, status=500)
    return render(request, "500.html", status=500)
