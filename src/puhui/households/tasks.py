"""Background jobs of the households app (django-tasks; run by `puhui db_worker`)."""

import logging
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from puhui.core.jobs import job_running, jobrun_expire_stale
from puhui.core.models import JobRun
from puhui.households.import_messages import ImportRefused
from puhui.households.importing import household_import

logger = logging.getLogger(__name__)


@task()
def household_import_job(job_id: int) -> None:
    job = JobRun.objects.select_related("owner").get(pk=job_id)
    if job.is_finished:  # a redelivered task must not import twice
        return
    jobrun_expire_stale()  # a job a killed worker left running is reported interrupted when the next one starts
    try:
        with job_running(job.pk):
            result = household_import(
                path=Path(job.input_path),
                user=job.owner,
                job=job,
                error_path=Path(job.input_path).with_suffix(".errors.xlsx"),
            )
    except ImportRefused as exc:
        _finish(job, JobRun.Status.FAILED, error=exc.message)
        return
    except Exception:
        logger.exception("household import job %s failed", job.pk)
        _finish(
            job,
            JobRun.Status.FAILED,
            error=_(
                "The import stopped on a system error, which has been logged. Households already imported are"
                " complete; upload the same file again to continue."
            ),
        )
        raise
    url = f"/api/v1/jobs/{job.pk}/error-report" if result.error_report else None
    _finish(job, JobRun.Status.SUCCEEDED, result=result.as_dict(url))


def _finish(job: JobRun, status: str, *, result: dict | None = None, error: str = "") -> None:
    with transaction.atomic():
        JobRun.objects.filter(pk=job.pk).update(
            status=status, result=result or {}, error=error, finished_at=timezone.now()
        )
