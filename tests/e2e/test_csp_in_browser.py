"""The pages run under the Content-Security-Policy in Chromium: no violation reported on the login page, a page with
htmx, the admin and the API docs; the admin's and Swagger's scripts actually ran."""

import pytest

from tests.core.test_security_headers import check_pages
from tests.e2e.conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_pages_run_under_the_policy_in_chromium(world, live_server, browser):
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    try:
        check_pages(page, live_server.url)
    finally:
        page.close()
