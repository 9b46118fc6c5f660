"""A background job whose worker process dies (SIGKILL) is reported interrupted (中断) once its heartbeat is older
than PUHUI_JOB_STALE_SECONDS — on the pages, in the API and to the next worker — and may then be started again:
the import rerun imports the same households, end of day rerun ends on the same books as an uninterrupted run."""

import datetime
import json
import time
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from puhui.core.jobs import beat_interval, job_running, jobrun_expire_stale, stale_after
from puhui.core.models import JobRun
from puhui.credit.eod import EOD_JOB
from puhui.org import roles
from tests.reliability.killing import database_copy, database_drop, database_new, killed_when
from tests.reliability.test_sigkill import BOOKS, LINES, REGISTER

MINUTE = datetime.timedelta(minutes=1)


def job_of(user, *, kind="household_import", status=JobRun.Status.RUNNING, beat_ago=None, started_ago=None):
    now = timezone.now()
    return JobRun.objects.create(
        kind=kind,
        owner=user,
        status=status,
        input_name="花名册.xlsx" if kind == "household_import" else "2026-01-05",
        total=100,
        done=40,
        started_at=None if started_ago is None else now - started_ago,
        heartbeat_at=None if beat_ago is None else now - beat_ago,
    )


# --- the rule, in process ------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_only_running_jobs_silent_beyond_the_limit_are_recorded_interrupted(world):
    user = world.users[roles.HEAD_OFFICE]
    silent = job_of(user, beat_ago=6 * MINUTE, started_ago=20 * MINUTE)
    alive = job_of(user, beat_ago=MINUTE, started_ago=20 * MINUTE)
    legacy = job_of(user, kind=EOD_JOB, started_ago=10 * MINUTE)  # marked running before heartbeats existed
    queued = job_of(user, status=JobRun.Status.QUEUED, beat_ago=None)  # waiting for a worker is not dying
    done = job_of(user, status=JobRun.Status.SUCCEEDED, beat_ago=60 * MINUTE)

    assert stale_after() == 5 * MINUTE and beat_interval() == 30  # the defaults: 5 minutes, a beat every 30 s
    assert jobrun_expire_stale() == 2
    assert jobrun_expire_stale() == 0  # once: a stored transition

    for job in (silent, alive, legacy, queued, done):
        job.refresh_from_db()
    assert (silent.status, legacy.status) == ("failed", "failed")
    assert (alive.status, queued.status, done.status) == ("running", "queued", "succeeded")
    assert silent.is_interrupted and legacy.is_interrupted and not alive.is_interrupted
    assert silent.result == {"interrupted": True} and silent.finished_at is not None
    assert str(silent.status_label) == "interrupted"
    assert silent.error.startswith("Interrupted: the job stopped without finishing")
    assert "more than 5 minutes" in silent.error and "upload the same file again" in silent.error
    assert "start end of day again" in legacy.error


@pytest.mark.django_db
def test_the_limit_is_a_setting(world, settings):
    job = job_of(world.users[roles.HEAD_OFFICE], beat_ago=MINUTE)
    assert jobrun_expire_stale() == 0
    settings.PUHUI_JOB_STALE_SECONDS = 30
    assert beat_interval() == 3
    assert jobrun_expire_stale() == 1
    job.refresh_from_db()
    assert job.is_interrupted


@pytest.mark.django_db(transaction=True)
def test_the_running_job_beats_until_it_ends_and_never_revives_an_interrupted_one(world, settings):
    settings.PUHUI_JOB_STALE_SECONDS = 2  # a beat every 0.2 s
    job = job_of(world.users[roles.HEAD_OFFICE], status=JobRun.Status.QUEUED)
    with job_running(job.pk):
        job.refresh_from_db()
        first = job.heartbeat_at
        assert job.status == "running" and first == job.started_at
        time.sleep(1.0)
        job.refresh_from_db()
        assert job.heartbeat_at > first  # beats while the work goes on
        jobrun_expire_stale(limit=datetime.timedelta(0))  # as if it had fallen silent
        time.sleep(0.6)
        job.refresh_from_db()
        assert job.status == "failed" and job.is_interrupted  # a later beat does not turn it back to running
    last = job.heartbeat_at
    time.sleep(0.6)
    job.refresh_from_db()
    assert job.heartbeat_at == last  # the thread stopped with the block


# --- where jobs are shown ---------------------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_import_page_and_api_show_a_dead_import_as_interrupted(world, login, api_client):
    manager = world.users[roles.ACCOUNT_MANAGER]
    job = job_of(manager, beat_ago=10 * MINUTE)

    page = login(manager).get(reverse("import-job-progress", args=[job.pk])).content.decode()
    assert 'data-status="failed" data-interrupted="true"' in page
    assert "upload the same file again" in page and "hx-get" not in page  # polling stops
    assert "· interrupted</span>" in login(manager).get(reverse("household-import")).content.decode()

    answer = api_client(manager).get(f"/api/v1/jobs/{job.pk}").json()
    assert answer["status"] == "failed" and answer["result"] == {"interrupted": True}
    assert answer["error"].startswith("Interrupted:")


@pytest.mark.django_db
def test_api_expires_a_dead_job_it_is_asked_about(world, api_client):
    manager = world.users[roles.ACCOUNT_MANAGER]
    job = job_of(manager, beat_ago=10 * MINUTE)
    assert api_client(manager).get(f"/api/v1/jobs/{job.pk}").json()["status"] == "failed"
    job.refresh_from_db()
    assert job.is_interrupted


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_end_of_day_page_shows_a_dead_job_interrupted_and_lets_head_office_start_again(world, login):
    head = world.users[roles.HEAD_OFFICE]
    from puhui.core.services import business_date_set

    business_date_set(business_date=datetime.date(2026, 1, 5))
    dead = job_of(head, kind=EOD_JOB, beat_ago=10 * MINUTE, started_ago=11 * MINUTE)
    client = login(head)

    progress = client.get(reverse("eod-job-progress", args=[dead.pk])).content.decode()
    assert 'data-interrupted="true"' in progress and "start end of day again" in progress
    assert "interrupted ·" in client.get(reverse("eod")).content.decode()

    started = client.post(reverse("eod"), {"until": "2026-01-05"})
    assert started.status_code == 302, started.content.decode()[-2000:]  # not refused as "in progress"
    assert JobRun.objects.filter(kind=EOD_JOB).exclude(pk=dead.pk).count() == 1


@pytest.mark.django_db
def test_a_live_end_of_day_job_still_blocks_a_second_one(world, login):
    head = world.users[roles.HEAD_OFFICE]
    from puhui.core.services import business_date_set

    business_date_set(business_date=datetime.date(2026, 1, 5))
    job_of(head, kind=EOD_JOB, beat_ago=datetime.timedelta(seconds=10), started_ago=11 * MINUTE)
    refused = login(head).post(reverse("eod"), {"until": "2026-01-05"})
    assert refused.status_code == 200 and JobRun.objects.filter(kind=EOD_JOB).count() == 1


# --- a real SIGKILL of a db_worker running the job --------------------------------------------------------------

STALE_SECONDS = 4  # a beat every 0.4 s in the children
SETTINGS = f"""
from puhui.settings_test import *  # noqa
TASKS = {{"default": {{"BACKEND": "django_tasks_db.DatabaseBackend"}}}}  # the real queue, a real worker
PUHUI_JOB_STALE_SECONDS = {STALE_SECONDS}
"""
# two import chunks (5,000 households each): the worker is killed while it writes the second
WORKBOOK = "from bench.workloads.import_ import workbook; print(workbook(20_000))"
WORKER = ("db_worker", "--no-startup-delay", "--interval", "0.2", "--verbosity", "0")
IMPORT_START = """
from pathlib import Path
from django.core.files.uploadedfile import SimpleUploadedFile
from puhui.households.services import household_import_start
from puhui.org.models import User
path = Path({path!r})
head = User.objects.filter(groups__name="head_office").order_by("pk").first()
print(household_import_start(user=head, upload=SimpleUploadedFile("花名册.xlsx", path.read_bytes())).pk)
"""
EOD_START = """
import datetime
from puhui.credit.eod import eod_start
from puhui.credit.errors import CreditRefused
from puhui.org.models import User
head = User.objects.filter(groups__name="head_office").order_by("pk").first()
try:
    print(eod_start(user=head, until=datetime.date(2017, 9, 15)).pk)
except CreditRefused as exc:
    print(exc.code)
"""
JOB = "import json; from puhui.core.models import JobRun; j = JobRun.objects.get(pk={pk}); " + (
    "print(json.dumps([j.status, j.is_interrupted, j.result, j.error]))"
)


def with_job_settings(database, tmp: Path):
    """The child processes read settings with the real task queue and a short staleness limit."""
    (tmp / "stale_job_settings.py").write_text(SETTINGS)
    database.env["DJANGO_SETTINGS_MODULE"] = "stale_job_settings"
    database.env["PYTHONPATH"] = f"{tmp}:{database.env['PYTHONPATH']}"
    return database


@pytest.fixture(scope="module")
def demo_base(tmp_path_factory):
    """Migrated, the demo geography and staff, 40 drawn lines at 2017-07-03 (copied by each test)."""
    tmp = tmp_path_factory.mktemp("stale-base")
    database = with_job_settings(database_new(tmp), tmp)
    database.run("migrate", "--verbosity", "0")
    database.shell(LINES)
    yield database
    database_drop(database)


def copy_of(base, tmp: Path):
    return with_job_settings(database_copy(base, tmp), tmp)


def job_column(database, pk: int, column: str):
    """One column of one job, read straight from the child's database."""
    assert column in {"status", "heartbeat_at", "started_at"}
    return database.scalar(f"SELECT {column} FROM core_jobrun WHERE id = {int(pk)}")  # noqa: S608 — fixed names


def kill_once_beating(database, pk: int, progress_sql: str, at_least: int) -> None:
    """Start a worker, SIGKILL it mid-job once the job has beaten and progressed; the job is left `running`."""
    worker = database.start(*WORKER)
    beaten = f"SELECT CASE WHEN heartbeat_at > started_at THEN ({progress_sql}) ELSE 0 END FROM core_jobrun"  # noqa: S608
    killed = killed_when(worker, database, f"{beaten} WHERE id = {int(pk)}", at_least)
    assert killed == -9, "the worker exited before the kill"
    beat = job_column(database, pk, "heartbeat_at")
    assert beat > job_column(database, pk, "started_at"), "the job never beat while it ran"
    assert job_column(database, pk, "status") == "running"  # what a kill leaves behind, until the rule runs
    time.sleep(STALE_SECONDS * 0.3)
    assert job_column(database, pk, "heartbeat_at") == beat  # silence
    time.sleep(STALE_SECONDS * 0.8)


@pytest.mark.django_db(transaction=True)
def test_import_job_killed_with_its_worker_is_interrupted_then_a_rerun_imports_the_same(demo_base, tmp_path):
    path = demo_base.shell(WORKBOOK)
    whole = copy_of(demo_base, tmp_path / "whole")
    cut = copy_of(demo_base, tmp_path / "cut")
    try:
        whole.run("import-households", path)
        expected = json.loads(whole.shell(REGISTER))
        pk = int(cut.shell(IMPORT_START.format(path=path)))
        imported = "SELECT COUNT(*) FROM households_household WHERE number LIKE 'BENCH-%'"
        kill_once_beating(cut, pk, imported, 1)
        partial = json.loads(cut.shell(REGISTER))
        assert 0 < len(partial) < len(expected) and set(map(tuple, partial)) <= set(map(tuple, expected))

        # the rerun: the same file uploaded again; the next worker's first job reports the dead one first
        again = int(cut.shell(IMPORT_START.format(path=path)))
        cut.run(*WORKER, "--batch")
        status, interrupted, result, error = json.loads(cut.shell(JOB.format(pk=pk)))
        assert (status, interrupted, result) == ("failed", True, {"interrupted": True}) and error
        assert json.loads(cut.shell(JOB.format(pk=again)))[0] == "succeeded"
        assert json.loads(cut.shell(REGISTER)) == expected
    finally:
        database_drop(whole)
        database_drop(cut)


@pytest.mark.django_db(transaction=True)
def test_end_of_day_job_killed_with_its_worker_is_interrupted_then_rerun_gives_the_same_books(demo_base, tmp_path):
    whole = copy_of(demo_base, tmp_path / "whole")
    cut = copy_of(demo_base, tmp_path / "cut")
    try:
        whole.run("eod", "--until", "2017-09-15")
        expected = json.loads(whole.shell(BOOKS))
        pk = int(cut.shell(EOD_START))
        closed = "SELECT COUNT(*) FROM credit_eodrun WHERE status = 'succeeded'"
        kill_once_beating(cut, pk, closed, 20)
        books = json.loads(cut.shell(BOOKS))
        assert books["balanced"] and books["unbalanced_journals"] == 0
        assert books["principal"] == sum(loan[1] for loan in books["loans"])

        # the head office starts end of day again: the dead job no longer blocks it, and is reported interrupted
        again = cut.shell("from puhui.core.jobs import jobrun_expire_stale; print(jobrun_expire_stale());" + EOD_START)
        assert again.isdigit() and int(again) != pk, again
        cut.run(*WORKER, "--batch")
        status, interrupted, result, _error = json.loads(cut.shell(JOB.format(pk=pk)))
        assert (status, interrupted) == ("failed", True)
        assert json.loads(cut.shell(JOB.format(pk=again)))[0] == "succeeded"
        assert json.loads(cut.shell(BOOKS)) == expected
    finally:
        database_drop(whole)
        database_drop(cut)
