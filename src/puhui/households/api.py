"""Households in the API: the register import, its job, and a village's progress."""

from django.db import transaction
from django.http import FileResponse
from ninja import File, Router, Schema, Status, UploadedFile

from puhui.core.api import ErrorOut, require_role, require_staff
from puhui.core.audit import audit_access
from puhui.core.errors import ApiError, not_found
from puhui.core.jobs import jobrun_expire_stale
from puhui.core.models import JobRun
from puhui.households import selectors
from puhui.households.import_messages import ImportRefused
from puhui.households.import_views import IMPORT_ROLES, XLSX, job_error_report_path
from puhui.households.services import household_import_start

router = Router(tags=["households"])


class JobAccepted(Schema):
    job_id: int


class JobOut(Schema):
    id: int
    kind: str
    status: str
    total: int
    done: int
    result: dict
    error: str


class ProgressOut(Schema):
    code: str
    campaign_status: str
    collection_rate: str
    evaluation_rate: str
    grant_rate: str
    collected_persons: int
    population: int
    evaluated_households: int
    granted_households: int
    households: int


@router.post("/imports/households", response={202: JobAccepted, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut})
def household_import(request, file: UploadedFile = File(...)):  # noqa: B008 — ninja's declaration style
    """Upload a register workbook (DOMAIN §8 template); the import runs as a job: poll GET /jobs/{id}."""
    require_role(request, *IMPORT_ROLES)
    try:
        with transaction.atomic():
            job = household_import_start(user=request.user, upload=file)
    except ImportRefused as exc:
        raise ApiError(400, "invalid_workbook", exc.message) from exc
    return Status(202, {"job_id": job.pk})


def _own_job(request, job_id: int) -> JobRun:
    jobrun_expire_stale()  # a job whose worker died reads as failed (result.interrupted), not running forever
    job = JobRun.objects.filter(pk=job_id, owner=request.user).first()
    if job is None:
        raise not_found()
    return job


@router.get("/jobs/{job_id}", response={200: JobOut, 401: ErrorOut, 404: ErrorOut})
def job(request, job_id: int):
    """A background job of yours (404 for anybody else's)."""
    job = _own_job(request, job_id)
    return {
        "id": job.pk,
        "kind": job.kind,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "result": job.result,
        "error": job.error,
    }


@router.get("/jobs/{job_id}/error-report", response={200: None, 401: ErrorOut, 404: ErrorOut})
def job_error_report(request, job_id: int):
    """The error workbook of a household import: every row of every rejected household, with 错误原因."""
    job = _own_job(request, job_id)
    path = job_error_report_path(job)
    if path is None:
        raise not_found()
    with transaction.atomic():
        audit_access(instance=job, actor=request.user, field="error_report")
    return FileResponse(path.open("rb"), as_attachment=True, filename="import-errors.xlsx", content_type=XLSX)


@router.get("/villages/{code}/progress", response={200: ProgressOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut})
def village_progress(request, code: str):
    """Collection, evaluation and granting of one village (rates as strings with 4 decimals)."""
    require_staff(request)
    return selectors.village_progress(user=request.user, code=code)
