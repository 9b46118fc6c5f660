"""差距分析表: indicator rows with value, target, gap, state and projection; a township's villages; text cells safe
from formulas; scope kept."""

import datetime
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from puhui.core.services import business_date_set
from puhui.kpi import dashboard
from puhui.kpi.gap_export import gap_workbook
from puhui.org import roles
from puhui.org.models import Grid, Village
from tests.kpi.fixtures import campaign, populate

D = datetime.date
DATE = D(2018, 6, 30)


@pytest.fixture
def data(world):
    business_date_set(business_date=DATE)
    head = world.users[roles.HEAD_OFFICE]
    campaign(world.village_mine, D(2017, 5, 1), head)
    populate(world, world.village_mine, world.grid_mine, 10, prefix="M", start=D(2017, 7, 3))
    hostile = Village.objects.create(
        township=world.township_in, code="330781102209", name="=HYPERLINK(1)", registered_population=10
    )
    Grid.objects.create(village=hostile, code="330781102209-01", name="第1网格")
    return world


def _sheet_rows(content: bytes, index: int = 0):
    workbook = load_workbook(io.BytesIO(content))
    return workbook.worksheets[index], list(workbook.worksheets[index].iter_rows(values_only=True))


def test_city_gap_report_rows_match_the_dashboard(data):
    head = data.users[roles.HEAD_OFFICE]
    content = gap_workbook(user=head, scope="city", date=DATE)
    sheet, rows = _sheet_rows(content)
    assert rows[0][1] == "city"
    assert rows[1][1] == "2018-06-30"
    header = rows[3]
    assert len(header) == 10
    by_code = {row[0]: row for row in rows[4:]}
    expected = {row.code: row for row in dashboard.dashboard_rows(user=head, scope="city", date=DATE)}
    assert set(by_code) == set(expected)
    for code, row in expected.items():
        line = by_code[code]
        assert line[1] == row.name
        assert (None if line[3] is None else Decimal(str(line[3]))) == row.value
        assert (None if line[4] is None else Decimal(str(line[4]))) == row.target
        assert line[5] == row.target_year
        assert (None if line[6] is None else Decimal(str(line[6])).quantize(Decimal("0.0001"))) == row.gap
        assert line[7] == row.state_label
    zc1_row = next(r for r in sheet.iter_rows(min_row=5) if r[0].value == "ZC1")
    assert zc1_row[3].number_format == "0.00%"


def test_township_report_lists_its_villages_as_text(data):
    content = gap_workbook(user=data.users[roles.HEAD_OFFICE], scope=f"township:{data.township_in.code}", date=DATE)
    workbook = load_workbook(io.BytesIO(content))
    assert len(workbook.worksheets) == 2
    villages = workbook.worksheets[1]
    names = {row[1].value: row[1] for row in villages.iter_rows(min_row=2)}
    assert set(names) == {"诸葛村", "长乐村", "=HYPERLINK(1)"}
    assert names["=HYPERLINK(1)"].data_type == "s"  # a text cell, not a formula
    codes = [row[0].value for row in villages.iter_rows(min_row=2)]
    assert all(isinstance(code, str) for code in codes)  # codes keep their digits as text


def test_branch_manager_gets_only_own_scope(data, login):
    client = login(data.users[roles.BRANCH_MANAGER])
    response = client.get(f"/kpi/gap-report.xlsx?scope=township:{data.township_in.code}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content)).worksheets[1].max_row == 4  # header + 3 villages
    assert client.get(f"/kpi/gap-report.xlsx?scope=township:{data.township_out.code}").status_code == 404
    assert client.get("/kpi/gap-report.xlsx?scope=city").status_code == 404


def test_branch_report_lists_its_townships(data):
    content = gap_workbook(user=data.users[roles.HEAD_OFFICE], scope=f"branch:{data.branch_in.code}", date=DATE)
    townships = load_workbook(io.BytesIO(content)).worksheets[1]
    rows = list(townships.iter_rows(min_row=2, values_only=True))
    assert [row[:2] for row in rows] == [(data.township_in.code, data.township_in.name)]
    zc1 = dashboard.zc_grouped(villages=Village.objects.filter(township=data.township_in), date=DATE, by="township_id")
    assert Decimal(str(rows[0][2])) == zc1[data.township_in.pk]["ZC1"]


def test_sheet_titles_are_made_valid():
    from puhui.kpi.gap_export import sheet_title

    assert sheet_title("乡镇/街道") == "乡镇、街道"
    assert sheet_title("a[b]:c*?d\\e") == "a、b、、c、、d、e"
    assert len(sheet_title("x" * 40)) == 31
