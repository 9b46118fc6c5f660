"""Pages for the register import (upload, progress polled by htmx, error workbook) and village coverage."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from puhui.core.audit import audit_access
from puhui.core.jobs import jobrun_expire_stale
from puhui.core.models import JobRun
from puhui.households import selectors
from puhui.households.import_messages import ImportRefused
from puhui.households.services import household_import_start
from puhui.households.workbooks import template_workbook
from puhui.org import roles
from puhui.org.selectors import township_get
from puhui.web.views import staff_required

IMPORT_ROLES = tuple(roles.REGISTER_IMPORT_ROLES)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_import_role(user) -> None:
    if not user.has_role(*IMPORT_ROLES):
        raise PermissionDenied


@staff_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    _require_import_role(request.user)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("Choose the register workbook to upload."))
        else:
            try:
                job = household_import_start(user=request.user, upload=upload)
            except ImportRefused as exc:
                messages.error(request, exc.message)
            else:
                return redirect("import-job", pk=job.pk)
    jobrun_expire_stale()  # a job whose worker died shows as interrupted, not as running forever
    jobs = JobRun.objects.filter(owner=request.user, kind="household_import").order_by("-created_at")[:10]
    return render(request, "households/import_upload.html", {"jobs": jobs})


@staff_required
@require_GET
def import_template(request):
    path = Path(tempfile.mkdtemp()) / "template.xlsx"
    template_workbook(path)
    return FileResponse(path.open("rb"), as_attachment=True, filename="农户花名册导入模板.xlsx", content_type=XLSX)


def _own_job(request, pk: int) -> JobRun:
    jobrun_expire_stale()  # a job whose worker died shows as interrupted, not as running forever
    job = JobRun.objects.filter(pk=pk, owner=request.user).first()
    if job is None:
        raise Http404
    return job


@staff_required
@require_GET
def import_job(request, pk: int):
    return render(request, "households/import_job.html", {"job": _own_job(request, pk)})


@staff_required
@require_GET
def import_job_progress(request, pk: int):
    """The progress fragment that htmx polls every second until the job has finished."""
    return render(request, "households/_import_progress.html", {"job": _own_job(request, pk)})


@staff_required
@require_GET
def import_job_errors(request, pk: int):
    job = _own_job(request, pk)
    path = job_error_report_path(job)
    if path is None:
        raise Http404
    with transaction.atomic():
        audit_access(instance=job, actor=request.user, field="error_report")
    return FileResponse(path.open("rb"), as_attachment=True, filename="导入错误行.xlsx", content_type=XLSX)


def job_error_report_path(job: JobRun) -> Path | None:
    if not job.result.get("error_report_url") or not job.input_path:
        return None
    path = Path(job.input_path).with_suffix(".errors.xlsx")
    return path if path.exists() else None


@staff_required
@require_GET
def coverage(request):
    """建档覆盖: collection rate per village against the plan's targets, sortable, with what is missing."""
    township_code = request.GET.get("township") or None
    township = township_get(user=request.user, code=township_code) if township_code else None
    sort = request.GET.get("sort", "rate")
    rows = selectors.villages_coverage(user=request.user, township_code=township_code, sort=sort)
    context = {
        "rows": rows,
        "township": township,
        "sort": sort,
        "targets": selectors.COLLECTION_TARGETS,
        "target_low": selectors.COLLECTION_TARGETS[0][1],
        "target_high": selectors.COLLECTION_TARGETS[-1][1],
    }
    return render(request, "households/coverage.html", context)
