"""POST /api/v1/imports/households → 202 {job_id}; GET /api/v1/jobs/{id}; progress; CLI."""

import pytest
from django.core.management import call_command

from puhui.households.models import Household
from puhui.households.register import HEADERS
from puhui.org import roles
from tests.core.test_api_auth import assert_error_shape
from tests.households.register_factory import valid_register

VILLAGES = [("330781102", "330781102201")]


def upload(client, path):
    with path.open("rb") as handle:
        return client.post("/api/v1/imports/households", {"file": handle})


def test_import_job_end_to_end(world, api_client, tmp_path, django_capture_on_commit_callbacks):
    register = valid_register(VILLAGES, households=40)
    register.rows[3][6] = "12345"  # one bad phone
    bad_number = register.rows[3][2]
    client = api_client(world.users[roles.ACCOUNT_MANAGER])
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, register.save(tmp_path / "r.xlsx"))
    assert response.status_code == 202
    job_id = response.json()["job_id"]
    job = client.get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "succeeded" and job["kind"] == "household_import"
    assert job["total"] == job["done"] == len(register.rows)
    result = job["result"]
    assert set(result) == {
        "imported_households",
        "imported_persons",
        "rejected_households",
        "rejected_rows",
        "error_report_url",
    }
    assert (result["imported_households"], result["rejected_households"], result["rejected_rows"]) == (39, 1, 1)
    report = client.get(result["error_report_url"])
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not Household.objects.filter(number=bad_number).exists()

    # the job and its error workbook are the owner's only
    other = api_client(world.users[roles.HEAD_OFFICE])
    assert_error_shape(other.get(f"/api/v1/jobs/{job_id}"), 404, "not_found")
    assert_error_shape(other.get(result["error_report_url"]), 404, "not_found")


def test_progress_counts_collected_persons(world, api_client, tmp_path, django_capture_on_commit_callbacks):
    register = valid_register(VILLAGES, households=30)
    client = api_client(world.users[roles.ACCOUNT_MANAGER])
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, register.save(tmp_path / "r.xlsx"))
    progress = client.get("/api/v1/villages/330781102201/progress").json()
    # a head without a phone is not collected; every other member with a valid ID is
    collected = sum(1 for r in register.rows if not (r[3] == "户主" and not r[6]))
    assert progress == {
        "code": "330781102201",
        "campaign_status": "not_started",
        "collection_rate": f"{collected / 3000:.4f}",
        "evaluation_rate": "0.0000",
        "grant_rate": "0.0000",
        "collected_persons": collected,
        "population": 3000,
        "evaluated_households": 0,
        "granted_households": 0,
        "households": 900,
    }
    assert_error_shape(client.get("/api/v1/villages/330781101201/progress"), 404, "not_found")


@pytest.mark.parametrize("content", [b"not a workbook", b""])
def test_unusable_upload_is_400_and_creates_no_job(world, api_client, tmp_path, content):
    from puhui.core.models import JobRun

    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    response = upload(api_client(world.users[roles.HEAD_OFFICE]), path)
    assert_error_shape(response, 400)
    assert JobRun.objects.count() == 0


def test_wrong_headers_are_400(world, api_client, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(list(HEADERS[:-1]))
    workbook.save(tmp_path / "h.xlsx")
    error = assert_error_shape(upload(api_client(world.users[roles.HEAD_OFFICE]), tmp_path / "h.xlsx"), 400)
    assert "表头" in error["message"]


def test_missing_file_is_400(world, api_client):
    response = api_client(world.users[roles.HEAD_OFFICE]).post("/api/v1/imports/households", {})
    assert_error_shape(response, 400, "invalid_request")


@pytest.mark.parametrize("role", [roles.LIAISON, roles.BRANCH_MANAGER, roles.AUDITOR, roles.FARMER, roles.EVALUATOR])
def test_only_account_managers_and_head_office_import(world, api_client, tmp_path, role):
    path = valid_register(VILLAGES, households=1).save(tmp_path / "r.xlsx")
    assert_error_shape(upload(api_client(world.users[role]), path), 403, "forbidden")


def test_command_line_import_prints_the_result(world, tmp_path, capsys):
    register = valid_register(VILLAGES, households=5)
    register.rows[0][5] = "330781199001011230"  # bad check digit
    path = register.save(tmp_path / "r.xlsx")
    call_command("import-households", str(path), "--user", "head")
    out = capsys.readouterr().out
    assert "imported households: 4" in out and "rejected rows:       1" in out
    assert "错误行.xlsx" in out
    assert Household.objects.count() == 4


def test_command_line_refuses_a_bad_file(world, tmp_path):
    from django.core.management import CommandError

    path = tmp_path / "r.xlsx"
    path.write_text("hello")
    with pytest.raises(CommandError, match="Excel"):
        call_command("import-households", str(path), "--user", "head")


def test_web_upload_shows_progress_and_result(world, login, tmp_path, django_capture_on_commit_callbacks):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    assert client.get("/imports/households/").status_code == 200
    template = client.get("/imports/households/template.xlsx")
    assert template.status_code == 200
    path = valid_register(VILLAGES, households=3).save(tmp_path / "r.xlsx")
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as handle:
        response = client.post("/imports/households/", {"file": handle})
    assert response.status_code == 302
    page = client.get(response.url)
    assert 'data-status="succeeded"' in page.content.decode()
    job_id = response.url.rstrip("/").split("/")[-1]
    assert login(world.users[roles.HEAD_OFFICE]).get(f"/imports/jobs/{job_id}/").status_code == 404


def test_web_upload_of_a_bad_file_shows_the_error(world, login, tmp_path):
    client = login(world.users[roles.ACCOUNT_MANAGER])
    path = tmp_path / "r.xlsx"
    path.write_text("hello")
    with path.open("rb") as handle:
        response = client.post("/imports/households/", {"file": handle}, follow=True)
    assert "不是 Excel 工作簿" in response.content.decode()
