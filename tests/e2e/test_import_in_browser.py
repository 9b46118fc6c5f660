"""At 390×844 an account manager uploads a register with one bad row and sees progress, counts and the
error workbook link."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, screenshot
from tests.households.register_factory import valid_register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_upload_with_one_bad_row(world, live_server, phone_page, tmp_path):
    register = valid_register([("330781102", "330781102201")], households=20)
    register.rows[5][6] = "110"  # a bad phone in one household
    path = register.save(tmp_path / "花名册.xlsx")
    page = phone_page
    log_in(page, live_server.url, "manager", PASSWORD)
    page.goto(f"{live_server.url}/imports/households/")
    assert page.get_by_test_id("template-link").is_visible()
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="上传并导入").click()
    progress = page.get_by_test_id("import-progress")
    progress.wait_for()
    assert page.get_by_role("progressbar").is_visible()
    page.wait_for_selector("[data-testid=import-progress][data-status=succeeded]", timeout=30_000)
    assert page.get_by_test_id("imported-households").inner_text() == "19"
    assert page.get_by_test_id("rejected-households").inner_text() == "1"
    assert page.get_by_test_id("rejected-rows").inner_text() == "1"
    link = page.get_by_test_id("error-report-link")
    assert link.is_visible()
    screenshot(page, "import-phone-result")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    from openpyxl import load_workbook

    saved = tmp_path / "errors.xlsx"
    download.save_as(saved)
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[0][-1] == "错误原因"
    assert len(rows) - 1 == len(register.household_rows(register.rows[5][2]))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
