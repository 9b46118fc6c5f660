"""An account manager on a phone sees only own villages; a branch manager on a desktop sees the branch's."""

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_in, screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_account_manager_on_phone_sees_only_own_villages(world, live_server, phone_page):
    page = phone_page
    log_in(page, live_server.url, "manager", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_test_id("count-villages").inner_text() == "1"
    assert page.get_by_test_id("count-population").inner_text() == "3,000"
    screenshot(page, "foundation-phone-home-account-manager")

    # the menu is collapsed on a phone: open it as a person would
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="村社").click()
    page.wait_for_url(f"{live_server.url}/villages/")
    items = page.get_by_test_id("village-list").locator("a")
    assert items.count() == 1
    assert items.first.get_attribute("data-code") == "330781102201"
    assert "诸葛村" in items.first.inner_text()
    assert "长乐村" not in page.content() and "下陈村" not in page.content()
    screenshot(page, "foundation-phone-villages-account-manager")

    # no horizontal scrolling on a 390-pixel screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    items.first.click()
    assert page.get_by_role("heading", name="诸葛村").is_visible()

    response = page.goto(f"{live_server.url}/villages/330781102202/")
    assert response.status == 404
    assert "页面不存在" in page.content()


def test_branch_manager_on_desktop_sees_the_branch(world, live_server, desktop_page):
    page = desktop_page
    log_in(page, live_server.url, "branch", PASSWORD)
    assert page.get_by_test_id("business-date").is_visible()
    page.get_by_role("link", name="村社").click()
    codes = page.get_by_test_id("village-list").locator("a").evaluate_all("els => els.map(e => e.dataset.code)")
    assert sorted(codes) == ["330781102201", "330781102202"]
    screenshot(page, "foundation-desktop-villages-branch-manager")
