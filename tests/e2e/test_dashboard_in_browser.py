"""The head office opens the 考核评估 dashboard and drills from a township to a village to the households not yet
evaluated; the charts are really drawn (their canvases hold pixels), on a desktop and on a phone."""

import datetime
from decimal import Decimal

import pytest

from puhui.core.services import business_date_set
from puhui.kpi.models import KpiSnapshot
from puhui.kpi.selectors import catalogue
from puhui.org import roles
from tests.conftest import PASSWORD
from tests.e2e.conftest import screenshot
from tests.kpi.fixtures import campaign, populate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
D = datetime.date
DATE = D(2018, 6, 30)

# Distinct colours sampled on a grid over the canvas: a blank (or all-white) canvas has at most one.
CANVAS_COLOURS = """
(el) => {
  const canvas = el.querySelector('canvas');
  if (!canvas || canvas.width === 0 || canvas.height === 0) return 0;
  const ctx = canvas.getContext('2d');
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  const step = Math.max(1, Math.floor(data.length / 4 / 5000));
  for (let i = 0; i < data.length / 4; i += step) {
    if (data[i * 4 + 3] === 0) continue;
    seen.add(data[i * 4] + ',' + data[i * 4 + 1] + ',' + data[i * 4 + 2]);
  }
  return seen.size;
}
"""


@pytest.fixture
def dashboard_world(world):
    business_date_set(business_date=DATE)
    head = world.users[roles.HEAD_OFFICE]
    campaign(world.village_mine, D(2017, 5, 1), head)
    campaign(world.village_out, D(2018, 3, 1), head)
    populate(world, world.village_mine, world.grid_mine, 24, prefix="M", start=D(2017, 7, 3))
    populate(world, world.village_out, world.village_out.grids.get(), 8, prefix="X", start=D(2018, 4, 1))
    indicator = next(i for i in catalogue() if i.code == "ZC1")  # a flushed database reloads the catalogue
    snapshots = []
    for scope in ("city", f"township:{world.township_in.code}"):
        for day in range(0, 180, 5):
            date = D(2018, 1, 1) + datetime.timedelta(days=day)
            value = Decimal("0.2") + Decimal(day) / Decimal(600)
            snapshots.append(KpiSnapshot(date=date, scope=scope, indicator=indicator, value=value))
    KpiSnapshot.objects.bulk_create(snapshots)
    return world


def _log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/")


def _assert_charts_drawn(page, *testids: str) -> None:
    for testid in testids:
        chart = page.get_by_test_id(testid)
        chart.locator("canvas").first.wait_for(state="attached")
        page.wait_for_timeout(300)
        colours = chart.evaluate(CANVAS_COLOURS)
        assert colours > 3, f"{testid}: the canvas looks blank ({colours} colours)"


def test_head_office_drills_down_to_households_not_yet_evaluated(dashboard_world, live_server, desktop_page):
    page = desktop_page
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.location.get("url", "") else None
        ),
    )
    _log_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/kpi/")
    assert page.get_by_test_id("kpi-ZC1").is_visible()
    assert page.get_by_test_id("kpi-ZC1").get_attribute("data-state") in {"met", "at_risk", "behind"}
    _assert_charts_drawn(page, "chart-trend", "chart-ranking")
    screenshot(page, "dashboard-desktop-city")

    # print: navigation and buttons hidden, the charts still there
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.get_by_test_id("export").is_visible()
    assert page.get_by_test_id("chart-trend").locator("canvas").first.is_visible()
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")  # what the browser sends before printing
    image = page.get_by_test_id("trend").locator("img.kpi-chart-print")
    assert image.get_attribute("src").startswith("data:image/png;base64,") and image.is_visible()
    screenshot(page, "dashboard-print-city")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    page.emulate_media(media="screen")

    # the trend follows the indicator picker
    page.get_by_test_id("trend-picker").select_option("ZC3")
    page.wait_for_timeout(500)
    assert page.get_by_test_id("chart-trend").locator("canvas").count() == 0 or errors == []
    page.get_by_test_id("trend-picker").select_option("ZC1")
    page.wait_for_timeout(500)
    _assert_charts_drawn(page, "chart-trend")

    page.get_by_test_id("ranking-table").locator(f"tr[data-code='{dashboard_world.township_in.code}']").get_by_test_id(
        "drill"
    ).click()
    page.wait_for_url(f"{live_server.url}/kpi/townships/{dashboard_world.township_in.code}/")
    _assert_charts_drawn(page, "chart-villages", "chart-trend")
    screenshot(page, "dashboard-desktop-township")

    page.get_by_test_id("village-table").locator(f"tr[data-code='{dashboard_world.village_mine.code}']").get_by_test_id(
        "drill"
    ).click()
    page.wait_for_url(f"{live_server.url}/kpi/villages/{dashboard_world.village_mine.code}/")
    page.get_by_test_id("tab-unevaluated").click()
    unevaluated = page.get_by_test_id("list-unevaluated")
    assert unevaluated.is_visible()
    rows = unevaluated.get_by_test_id("household-row")
    assert rows.count() == int(unevaluated.get_attribute("data-count")) > 0
    assert "*" in rows.first.inner_text()  # masked names
    screenshot(page, "dashboard-desktop-village-unevaluated")
    rows.first.locator("a").first.click()
    page.wait_for_url(f"{live_server.url}/households/*/")
    assert errors == []


def test_dashboard_on_a_phone(dashboard_world, live_server, phone_page):
    page = phone_page
    _log_in(page, live_server.url, "head")
    page.goto(f"{live_server.url}/kpi/")
    _assert_charts_drawn(page, "chart-trend", "chart-ranking")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-phone-city")
    page.goto(f"{live_server.url}/kpi/villages/{dashboard_world.village_mine.code}/?list=unevaluated")
    assert page.get_by_test_id("list-unevaluated").get_by_test_id("household-row").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dashboard-phone-village")
