"""Head-office pages: end of day (run it, see its runs) and the general ledger (trial balance, controls)."""

import pytest

from puhui.core.models import JobRun
from puhui.core.selectors import business_date_current
from puhui.credit.models import EodRun
from puhui.org import roles
from tests.credit.test_eod import drawn
from tests.credit.test_money_services import START


def test_head_office_runs_end_of_day_from_the_page(world, login, django_capture_on_commit_callbacks):
    drawn(world, 1_000_000)
    client = login(world.users[roles.HEAD_OFFICE])
    page = client.get("/eod/")
    assert page.status_code == 200 and "日终" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/eod/", {"until": "2017-07-05"})
    assert response.status_code == 302
    job = JobRun.objects.get(kind="eod")
    assert (job.status, job.done, job.total) == ("succeeded", 3, 3)
    assert job.result["closed_dates"] == ["2017-07-03", "2017-07-04", "2017-07-05"]
    assert business_date_current() == START.replace(day=6)
    progress = client.get(f"/eod/jobs/{job.pk}/progress/").content.decode()
    assert 'data-status="succeeded"' in progress
    runs = client.get("/eod/").content.decode()
    assert runs.count('data-testid="eod-run"') == 3 and "1.21" in runs  # 121 fen of interest a day


def test_a_date_already_closed_is_refused_with_a_message(world, login):
    client = login(world.users[roles.HEAD_OFFICE])
    drawn(world, 100)
    response = client.post("/eod/", {"until": "2017-01-01"})
    assert response.status_code == 200
    assert "该营业日已完成日终" in response.content.decode() and not JobRun.objects.exists()
    response = client.post("/eod/", {"until": "not a date"})
    assert response.status_code == 200 and not JobRun.objects.exists()


@pytest.mark.parametrize("role", [roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER, roles.LIAISON])
def test_other_staff_may_not_see_or_run_end_of_day(world, login, role):
    client = login(world.users[role])
    for url in ("/eod/", "/ledger/"):
        assert client.get(url).status_code == 403
    assert client.post("/eod/", {"until": "2017-07-05"}).status_code == 403
    assert not EodRun.objects.exists()


def test_the_auditor_reads_but_does_not_run(world, login):
    client = login(world.users[roles.AUDITOR])
    assert (
        client.get("/eod/").status_code == 200 and 'data-testid="eod-form"' not in client.get("/eod/").content.decode()
    )
    assert client.post("/eod/", {"until": "2017-07-05"}).status_code == 403
    assert client.get("/ledger/").status_code == 200


def test_ledger_page_shows_balanced_books_and_classes(world, login):
    from puhui.credit.eod import eod_run

    drawn(world, 2_000_000)
    eod_run(user=world.users[roles.HEAD_OFFICE], until=START.replace(day=21))
    page = login(world.users[roles.HEAD_OFFICE]).get("/ledger/").content.decode()
    assert 'data-balanced="true"' in page
    assert "20,000.00" in page  # the principal control account
    assert 'data-testid="class-special_mention"' in page


def test_anonymous_goes_to_login(client):
    assert client.get("/eod/").status_code == 302 and client.get("/ledger/").status_code == 302
