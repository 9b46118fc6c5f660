"""Pages of the service-point register (JC1) and the designations (信用村 / 信用乡镇): thin, in the user's scope."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from puhui.core.selectors import business_date_current, singleton_row
from puhui.kpi import register_selectors as selectors
from puhui.kpi.designations import DesignationRefused, designations_evaluate
from puhui.kpi.models import DesignationRules, DesignationRun
from puhui.kpi.service_points import (
    ServicePointImportRefused,
    service_point_register_allowed,
    service_points_import,
    template_workbook,
)
from puhui.org import roles
from puhui.org.selectors import township_get, township_list
from puhui.web.views import staff_required

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


@staff_required
@require_http_methods(["GET", "POST"])
def service_points(request):
    """The register per village, with the Excel upload for the head office and branch managers."""
    code = request.GET.get("township") or None
    township = township_get(user=request.user, code=code) if code else None
    may_upload = service_point_register_allowed(request.user)
    result = None
    if request.method == "POST":
        if not may_upload:
            raise PermissionDenied
        result = _upload(request)
    today = business_date_current()
    villages = selectors.service_point_register(user=request.user, township=township, date=today)
    context = {
        "villages": villages,
        "counts": selectors.service_point_counts(villages),
        "township": township,
        "townships": township_list(user=request.user),
        "may_upload": may_upload,
        "result": result,
        "today": today,
    }
    return render(request, "kpi/register/service_points.html", context)


def _upload(request):
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the service-point workbook to upload."))
        return None
    if upload.size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 10 MB."))
        return None
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        with path.open("wb") as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
        try:
            return service_points_import(user=request.user, path=path)
        except ServicePointImportRefused as exc:
            messages.error(request, exc.message)
            return None


@staff_required
@require_GET
def service_point_template(request):
    path = Path(tempfile.mkdtemp()) / "template.xlsx"
    template_workbook(path)
    return FileResponse(path.open("rb"), as_attachment=True, filename="基础金融服务点登记模板.xlsx", content_type=XLSX)


@staff_required
@require_GET
def designations(request):
    """Current 信用村 and 信用乡镇 since when, the villages that lost it and why, the runs."""
    context = {
        "overview": selectors.designation_overview(user=request.user),
        "may_evaluate": request.user.has_role(roles.HEAD_OFFICE),
        "rules": singleton_row(DesignationRules),
        "today": business_date_current(),
    }
    return render(request, "kpi/register/designations.html", context)


@staff_required
@require_POST
def designations_evaluate_now(request):
    """The head office's 'evaluate now': every designation as of the business date."""
    if not request.user.has_role(roles.HEAD_OFFICE):
        raise PermissionDenied
    try:
        run = designations_evaluate(user=request.user, trigger=DesignationRun.Trigger.ON_DEMAND)
    except DesignationRefused as exc:
        messages.error(request, exc.message)
    else:
        counts = run.counts
        messages.success(
            request,
            _("Evaluated as of %(date)s: %(households)d 信用户, %(villages)d 信用村, %(townships)d 信用乡镇.")
            % {
                "date": run.as_of.isoformat(),
                "households": counts.get("household_held", 0),
                "villages": counts.get("village_held", 0),
                "townships": counts.get("township_held", 0),
            },
        )
    return redirect("kpi_register:designations")
