"""The real job path: the database task backend and a `db_worker` process run the import."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from puhui.core.models import JobRun
from puhui.households.models import Household
from puhui.households.services import household_import_start
from puhui.org import roles
from tests.households.register_factory import valid_register


@pytest.mark.django_db(transaction=True)
def test_worker_runs_the_queued_import(world, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    path = valid_register([("330781102", "330781102201")], households=12).save(tmp_path / "r.xlsx")
    upload = SimpleUploadedFile("花名册.xlsx", path.read_bytes())
    job = household_import_start(user=world.users[roles.ACCOUNT_MANAGER], upload=upload)
    job.refresh_from_db()
    assert job.status == JobRun.Status.QUEUED and Household.objects.count() == 0

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    job.refresh_from_db()
    assert job.status == JobRun.Status.SUCCEEDED, job.error
    assert job.result["imported_households"] == 12 == Household.objects.count()
    assert job.done == job.total > 0
