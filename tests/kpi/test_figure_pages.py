"""The imported-figure pages: upload with per-row errors and the error workbook, template download, manual
entry, history; scope (404 outside), roles (403), no 500 for any bad file, no inline script."""

import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from puhui.core.services import business_date_set
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figures import FILE_MESSAGES, figure_enter, problem_text
from puhui.kpi.models import FigureUpload, ImportedFigure
from puhui.org import roles
from tests.kpi.figure_files import D, figure_workbook, row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def dated(world):
    business_date_set(business_date=D(2026, 11, 26))
    return world


def xlsx_upload(path, name=None):
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type=XLSX)


def no_inline_script(html: str) -> bool:
    return all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_pages_answer_each_role(dated, login):
    pages = ["/kpi/figures/", "/kpi/figures/upload/", "/kpi/figures/enter/", "/kpi/branch-plans/"]
    expected = {
        roles.HEAD_OFFICE: [200, 200, 200, 200],
        roles.BRANCH_MANAGER: [200, 200, 200, 200],
        roles.AUDITOR: [200, 403, 403, 200],
        roles.ACCOUNT_MANAGER: [403, 403, 403, 403],
        roles.LIAISON: [403, 403, 403, 403],
        roles.FARMER: [403, 403, 403, 403],
    }
    for role, statuses in expected.items():
        client = login(dated.users[role])
        got = [client.get(page).status_code for page in pages]
        assert got == statuses, role
    for page in pages:
        html = login(dated.users[roles.HEAD_OFFICE]).get(page).content.decode()
        assert no_inline_script(html), page


@pytest.mark.parametrize("source", wb.FILE_SOURCES)
def test_the_template_downloads_from_the_upload_page(dated, login, source):
    client = login(dated.users[roles.HEAD_OFFICE])
    page = client.get("/kpi/figures/upload/").content.decode()
    assert f"/kpi/figures/template/{source}/" in page
    assert "平台以外" in page  # zh-hans, the default
    response = client.get(f"/kpi/figures/template/{source}/")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert tuple(c.value for c in sheet[1]) == wb.HEADERS
    assert client.get("/kpi/figures/template/manual/").status_code == 404


def test_an_upload_lists_the_bad_rows_and_offers_them_as_a_workbook(dated, login, tmp_path):
    head = login(dated.users[roles.HEAD_OFFICE])
    rows = [
        row("DK1", "全市", "2026-10-31", 300_000_000),
        row("DK2", "全市", "2026-10-31", -5),
        row("QD3", "全市", "2026-10-31", 5),
        row("DK5", "<script>alert(1)</script>", "2026-10-31", 5),
    ]
    path = figure_workbook(tmp_path / "十月.xlsx", rows)
    response = head.post("/kpi/figures/upload/", {"source_system": "core_banking", "file": xlsx_upload(path)})
    saved = FigureUpload.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/kpi/figures/uploads/{saved.pk}/"
    page = head.get(response["Location"]).content.decode()
    assert problem_text("negative", {}) in page
    assert "十月.xlsx" in page and saved.file_sha256 in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert ImportedFigure.objects.count() == 1
    errors = head.get(f"/kpi/figures/uploads/{saved.pk}/errors.xlsx")
    assert errors.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(errors.streaming_content))).worksheets[0]
    lines = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [line[0] for line in lines] == ["DK2", "QD3", "DK5"]
    assert lines[0][-1] == problem_text("negative", {})
    # the error workbook, corrected, uploads as it is
    corrected = tmp_path / "corrected.xlsx"
    workbook = load_workbook(
        io.BytesIO(b"".join(head.get(f"/kpi/figures/uploads/{saved.pk}/errors.xlsx").streaming_content))
    )
    sheet = workbook.worksheets[0]
    sheet["E2"] = 9_500_000_000
    sheet.delete_rows(3, 2)
    workbook.save(corrected)
    head.post("/kpi/figures/upload/", {"source_system": "core_banking", "file": xlsx_upload(corrected)})
    assert ImportedFigure.objects.get(indicator__code="DK2").value == Decimal("9500000000")


def test_no_bad_file_makes_a_500(dated, login, tmp_path):
    head = login(dated.users[roles.HEAD_OFFICE])
    headers = figure_workbook(tmp_path / "h.xlsx", [row("DK1", "全市", "2026-10-31", 1)], headers=("a", "b"))
    files = {
        "not_xlsx": SimpleUploadedFile("a.xlsx", b"hello, not a workbook"),
        "empty": xlsx_upload(figure_workbook(tmp_path / "e.xlsx", [])),
        "headers": xlsx_upload(headers),
    }
    for code, upload in files.items():
        response = head.post("/kpi/figures/upload/", {"source_system": "core_banking", "file": upload})
        assert response.status_code == 200, code
        message = str(FILE_MESSAGES[code])
        assert message.split("%")[0][:12] in response.content.decode(), code
    no_file = head.post("/kpi/figures/upload/", {"source_system": "core_banking"})
    assert no_file.status_code == 200 and "file" in no_file.context["form"].errors
    empty_post = head.post("/kpi/figures/upload/", {})
    assert empty_post.status_code == 200 and empty_post.context["form"].errors
    bad_source = head.post("/kpi/figures/upload/", {"source_system": "nope", "file": xlsx_upload(headers)})
    assert bad_source.status_code == 200 and "source_system" in bad_source.context["form"].errors
    assert not FigureUpload.objects.exists()


def test_a_branch_manager_sees_only_own_scope(dated, login, tmp_path):
    head_user, manager_user = dated.users[roles.HEAD_OFFICE], dated.users[roles.BRANCH_MANAGER]
    path = figure_workbook(
        tmp_path / "f.xlsx", [row("DK1", "全市", "2026-10-31", 1), row("DK1", "LX06", "2026-10-31", 2)]
    )
    head = login(head_user)
    head.post("/kpi/figures/upload/", {"source_system": "core_banking", "file": xlsx_upload(path)})
    head_upload = FigureUpload.objects.get()
    figure_enter(user=manager_user, indicator_code="DK1", scope="LX07", period=D(2026, 10, 31), value=Decimal(3))
    manager = login(manager_user)
    index = manager.get("/kpi/figures/").content.decode()
    assert "LX07" in index and "LX06" not in index and "全市" not in index
    assert manager.get(f"/kpi/figures/uploads/{head_upload.pk}/").status_code == 404
    assert manager.get(f"/kpi/figures/uploads/{head_upload.pk}/errors.xlsx").status_code == 404
    assert manager.get("/kpi/figures/history/DK1/city/").status_code == 404
    assert manager.get("/kpi/figures/history/DK1/branch:LX06/").status_code == 404
    assert manager.get("/kpi/figures/history/DK1/branch:LX07/").status_code == 200
    assert manager.get("/kpi/figures/history/NOPE/branch:LX07/").status_code == 404
    assert head.get("/kpi/figures/history/DK1/branch:LX07/").status_code == 200
    # the form offers only own scopes; a forged city scope is refused by the form, nothing saved
    form = manager.get("/kpi/figures/enter/").content.decode()
    assert 'value="branch:LX07"' in form and 'value="township:330781102"' in form and 'value="city"' not in form
    forged = {"indicator": "DK1", "scope": "city", "period": "2026-10-31", "value": "5"}
    assert manager.post("/kpi/figures/enter/", forged).status_code == 200
    assert ImportedFigure.objects.filter(scope="city").get().value == 1


def test_manual_entry_and_its_history(dated, login):
    head = login(dated.users[roles.HEAD_OFFICE])
    entry = {"indicator": "QD1", "scope": "city", "period": "2026-10-31", "value": "78.5", "note": "月报"}
    response = head.post("/kpi/figures/enter/", entry)
    assert response.status_code == 302 and response["Location"] == "/kpi/figures/history/QD1/city/"
    assert ImportedFigure.objects.get().value == Decimal("0.785")
    head.post("/kpi/figures/enter/", entry | {"value": "80.1%", "note": "更正"})
    history = head.get("/kpi/figures/history/QD1/city/").content.decode()
    assert "78.50%" in history and "80.10%" in history and "更正" in history
    assert history.index("80.10%") < history.index("78.50%")  # newest first, the old one kept and struck
    assert "<s>78.50%</s>" in history
    again = head.post("/kpi/figures/enter/", entry | {"value": "80.1"}, follow=True)
    assert ImportedFigure.objects.count() == 2 and again.status_code == 200
    for bad in ({"value": "abc"}, {"value": "120"}, {"period": "2026-13-01"}, {"indicator": "ZC1"}):
        response = head.post("/kpi/figures/enter/", entry | bad)
        assert response.status_code == 200, bad
    refused = head.post("/kpi/figures/enter/", entry | {"value": "-1"})
    assert problem_text("negative", {}) in refused.content.decode()
    assert ImportedFigure.objects.count() == 2


def test_anonymous_users_go_to_the_login(client, dated):
    for page in ("/kpi/figures/", "/kpi/figures/upload/", "/kpi/branch-plans/", "/kpi/figures/template/channels/"):
        response = client.get(page)
        assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_admin_lists_figures_read_only(client):
    from puhui.org.models import User

    client.force_login(User.objects.create_superuser(username="root", password="Correct-Horse-9"))
    for page in ("/admin/kpi/figureupload/", "/admin/kpi/importedfigure/", "/admin/kpi/branchtarget/"):
        assert client.get(page).status_code == 200, page
    assert client.get("/admin/kpi/importedfigure/add/").status_code == 403
    assert client.get("/admin/kpi/branchtarget/add/").status_code == 200
