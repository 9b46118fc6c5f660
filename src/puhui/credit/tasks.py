"""Background jobs of the credit app (django-tasks; run by `puhui db_worker`)."""

import datetime
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from puhui.core.audit_chain import audit_seal
from puhui.core.jobs import job_running, jobrun_expire_stale
from puhui.core.models import JobRun
from puhui.credit.eod import eod_run
from puhui.credit.errors import CreditRefused

logger = logging.getLogger(__name__)


@task()
def eod_job(job_id: int) -> None:
    """End of day up to the job's date, counting closed days as progress."""
    job = JobRun.objects.select_related("owner").get(pk=job_id)
    if job.is_finished:  # a redelivered task: the dates are closed already
        return
    jobrun_expire_stale()  # a job a killed worker left running is reported interrupted when the next one starts
    closed = []

    def progress(day: datetime.date, step: str, done: int) -> None:
        if step == "done":
            closed.append(day.isoformat())
            JobRun.objects.filter(pk=job.pk).update(done=len(closed))

    try:
        with job_running(job.pk):
            eod_run(user=job.owner, until=datetime.date.fromisoformat(job.input_name), progress=progress)
    except CreditRefused as exc:
        _finish(job, JobRun.Status.FAILED, closed, exc.message)
        return
    except Exception:
        logger.exception("end-of-day job %s failed", job.pk)
        _finish(job, JobRun.Status.FAILED, closed, _("End of day stopped on a system error, which has been logged."))
        raise
    _finish(job, JobRun.Status.SUCCEEDED, closed, "")
    if not transaction.get_connection().in_atomic_block:  # sealing waits for other writers: never inside one
        audit_seal()  # the days' audit entries join the tamper-evident chain


def _finish(job: JobRun, status: str, closed: list[str], error: str) -> None:
    JobRun.objects.filter(pk=job.pk).update(
        status=status, result={"closed_dates": closed}, error=error, finished_at=timezone.now()
    )
