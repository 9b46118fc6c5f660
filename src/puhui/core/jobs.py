"""A background job's heartbeat, and the rule that turns a silent `running` job into an interrupted one (中断).

A worker killed by SIGKILL, the OOM killer or a power cut runs no `except` and no `finally`: its JobRun stayed
`running` forever, and end of day refused to start again for hours ("one job at a time"). So the running job's
process writes `heartbeat_at` every few seconds from a thread of its own (`job_running`), and a running job
whose heartbeat is older than `PUHUI_JOB_STALE_SECONDS` is recorded as failed with a message saying it was
interrupted and how to continue (`jobrun_expire_stale`).

Why a thread rather than a beat on each progress step: the heartbeat says "the process is alive", and one step
can be long and is not ours to instrument (one end-of-day statement over a county's loans, an import chunk).
A process that is alive but stuck (waiting on a lock) keeps beating: that is not what this rule is for.

Why a stored state change rather than a status computed on read: the status is read by SQL filters as well as
by pages (end of day's "one job at a time" check, the API's `status`), and every one of them would have to know
the rule; a stored `failed` with `finished_at` is one transition, seen the same way by every reader, and a
late heartbeat of a process that was only paused cannot turn it back (the beat updates running rows only).
The check is one read on a partial index of the running rows; it writes only when something is stale, so the
pages that poll a job every second do not queue for SQLite's write lock.
"""

import datetime
import logging
import threading
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from puhui.core.models import JobRun

logger = logging.getLogger(__name__)

DEFAULT_STALE_SECONDS = 300  # 5 minutes: some 30 missed beats, far beyond a database lock wait or a GC pause
BEATS_PER_LIMIT = 10  # a beat every tenth of the limit (30 s by default): a few slow beats are never fatal


def stale_after() -> datetime.timedelta:
    """How long a running job may stay silent before it counts as interrupted (setting PUHUI_JOB_STALE_SECONDS)."""
    return datetime.timedelta(seconds=float(getattr(settings, "PUHUI_JOB_STALE_SECONDS", DEFAULT_STALE_SECONDS)))


def beat_interval() -> float:
    return max(0.2, stale_after().total_seconds() / BEATS_PER_LIMIT)


@contextmanager
def job_running(job_id: int):
    """Mark the job running (with a first heartbeat) and keep beating from a thread until the block ends."""
    now = timezone.now()
    JobRun.objects.filter(pk=job_id).update(status=JobRun.Status.RUNNING, started_at=now, heartbeat_at=now)
    stop = threading.Event()
    beater = threading.Thread(target=_beat, args=(job_id, stop), name=f"jobrun-{job_id}-heartbeat", daemon=True)
    beater.start()
    try:
        yield
    finally:
        stop.set()
        # never wait long: a beat may be queued behind a lock this thread's own transaction holds
        beater.join(timeout=2)


def _beat(job_id: int, stop: threading.Event) -> None:
    """The heartbeat loop, on its own database connection; a failed beat is only a missed one."""
    try:
        while not stop.wait(beat_interval()):
            try:
                JobRun.objects.filter(pk=job_id, status=JobRun.Status.RUNNING).update(heartbeat_at=timezone.now())
            except DatabaseError:  # SQLite busy past its timeout, a dropped connection: beat again later
                logger.warning("heartbeat of job %s missed", job_id, exc_info=True)
    finally:
        connections.close_all()  # this thread's connections only (they are per thread)


def jobrun_expire_stale(*, now: datetime.datetime | None = None, limit: datetime.timedelta | None = None) -> int:
    """Record every running job silent for longer than `limit` as failed — interrupted, with what to do next.

    Called where jobs are shown and when a worker starts a job; returns how many jobs it expired."""
    now = now or timezone.now()
    cutoff = now - (stale_after() if limit is None else limit)
    # a job marked running before heartbeats existed is judged by its start
    silent = Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    stale = JobRun.objects.filter(silent, status=JobRun.Status.RUNNING)
    found = list(stale.values_list("pk", "kind"))
    if not found:  # the common case: a read, no write lock taken
        return 0
    expired = 0
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):  # stored text: the bank's language
        for kind in sorted({kind for _pk, kind in found}):
            expired += stale.filter(kind=kind).update(
                status=JobRun.Status.FAILED,
                result={"interrupted": True},  # the API's `result` says so to a device, beside the message
                error=interrupted_message(kind, limit or stale_after()),
                finished_at=now,
            )
    logger.warning("marked %s background job(s) interrupted: %s", expired, found)
    return expired


def interrupted_message(kind: str, limit: datetime.timedelta) -> str:
    minutes = max(1, round(limit.total_seconds() / 60))
    what = {
        "household_import": _(
            "Households already imported are complete; upload the same file again to continue the import."
        ),
        "eod": _("Business dates already closed stay closed; start end of day again to close the rest."),
    }.get(kind, _("Start the job again."))
    return _(
        "Interrupted: the job stopped without finishing — its worker process ended (no sign of life for more"
        " than %(minutes)d minutes). %(what)s"
    ) % {"minutes": minutes, "what": what}
