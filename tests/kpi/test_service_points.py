"""The service-point register import (kpi.service_points): good rows apply, bad rows are listed with every reason
and change nothing, the same file twice creates no duplicates, a bad file changes nothing, scope and roles."""

import datetime
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from puhui.kpi import service_points
from puhui.kpi.models import ServicePoint
from puhui.kpi.service_points import HEADERS, ServicePointImportRefused, service_points_import
from puhui.org import roles

D = datetime.date
MINE, OTHER, OUT = "330781102201", "330781102202", "330781101201"


def workbook(path: Path, rows, headers=HEADERS) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


GOOD = [
    (MINE, "ATM", "诸葛村ATM", "2018-03-01", None),
    (OTHER, "助农终端", "长乐村助农点", datetime.datetime(2017, 5, 2), "2019-12-31"),
    (int(MINE), "网点", "诸葛分理处", D(2016, 1, 1), None),  # the code typed as a number
    (OTHER, "pos", "长乐小卖部POS", "2018-01-01", "2018-01-01"),  # one day, the code of the kind
]
BAD = [
    ("33078110220", "ATM", "短代码", "2018-01-01", None),
    ("330781102999", "ATM", "无此村", "2018-01-01", None),
    (MINE, "柜员机", "未知类型", "2018-01-01", None),
    (MINE, "ATM", "", "2018-01-01", None),
    (MINE, "ATM", "名称\t有制表符", "2018/01/01", None),
    (MINE, "POS", "日期颠倒", "2018-05-01", "2018-04-30"),
    (MINE, "ATM", "诸葛村ATM", "2019-01-01", None),  # repeats the first good row
    (MINE, "ATM", "无启用日期", None, None),
]


def messages(result) -> dict[str, list[str]]:
    return {row["values"][2]: row["errors"] for row in result.rejected}


def test_good_rows_apply_and_bad_rows_are_listed(world, tmp_path):
    head = world.users[roles.HEAD_OFFICE]
    with translation.override("en"):
        result = service_points_import(user=head, path=workbook(tmp_path / "a.xlsx", GOOD + BAD))
    assert (result.rows, result.created, result.updated, result.unchanged) == (12, 4, 0, 0)
    points = {p.name: p for p in ServicePoint.objects.select_related("village")}
    assert set(points) == {"诸葛村ATM", "长乐村助农点", "诸葛分理处", "长乐小卖部POS"}
    assert (points["长乐村助农点"].kind, points["长乐村助农点"].active_from) == ("assist_terminal", D(2017, 5, 2))
    assert points["长乐村助农点"].active_until == D(2019, 12, 31)
    assert points["诸葛分理处"].village.code == MINE and points["诸葛分理处"].kind == "outlet"
    assert points["长乐小卖部POS"].kind == "pos"
    errors = messages(result)
    assert [row["line"] for row in result.rejected] == list(range(6, 14))
    assert errors["短代码"] == ["村代码 must be 12 digits."]
    assert errors["无此村"] == ["村代码 330781102999 does not exist."]
    assert errors["未知类型"] == ["类型 must be one of ATM, POS, 助农终端, 网点."]
    assert errors[""] == ["名称 is missing."]
    assert errors["名称\t有制表符"] == [
        "名称 can have at most 100 characters and no control characters.",
        "启用日期 must be a date written YYYY-MM-DD.",
    ]
    assert errors["日期颠倒"] == ["停用日期 is earlier than 启用日期."]
    assert errors["诸葛村ATM"] == ["The same village, kind and name already appear in row 2."]
    assert errors["无启用日期"] == ["启用日期 is missing."]
    assert LogEntry.objects.filter(content_type__model="servicepoint", actor=head).count() == 4


def test_the_same_file_again_creates_no_duplicates_and_a_change_updates(world, tmp_path):
    head = world.users[roles.HEAD_OFFICE]
    path = workbook(tmp_path / "a.xlsx", GOOD)
    service_points_import(user=head, path=path)
    again = service_points_import(user=head, path=path)
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 4, [])
    changed = [GOOD[0][:4] + ("2020-06-30",), *GOOD[1:]]
    result = service_points_import(user=head, path=workbook(tmp_path / "b.xlsx", changed))
    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    assert ServicePoint.objects.count() == 4
    assert ServicePoint.objects.get(name="诸葛村ATM").active_until == D(2020, 6, 30)


def test_branch_manager_imports_only_own_villages(world, tmp_path):
    rows = [(MINE, "ATM", "诸葛村ATM", "2018-03-01", None), (OUT, "ATM", "下陈村ATM", "2018-03-01", None)]
    with translation.override("en"):
        result = service_points_import(user=world.users[roles.BRANCH_MANAGER], path=workbook(tmp_path / "a.xlsx", rows))
    assert result.created == 1 and messages(result) == {"下陈村ATM": ["This village is outside your scope."]}
    assert list(ServicePoint.objects.values_list("name", flat=True)) == ["诸葛村ATM"]


@pytest.mark.parametrize("role", [roles.ACCOUNT_MANAGER, roles.AUDITOR, roles.LIAISON, roles.FARMER])
def test_other_roles_may_not_import(world, tmp_path, role):
    with pytest.raises(PermissionDenied):
        service_points_import(user=world.users[role], path=workbook(tmp_path / "a.xlsx", GOOD))
    assert not ServicePoint.objects.exists()


def test_bad_files_change_nothing(world, tmp_path):
    head = world.users[roles.HEAD_OFFICE]
    text = tmp_path / "a.xlsx"
    text.write_text("村代码,类型\n")
    cases = {
        text: "not an Excel workbook",
        workbook(tmp_path / "b.xlsx", GOOD, headers=("村代码", "名称", "类型", "启用日期", "停用日期")): "headers",
        workbook(tmp_path / "c.xlsx", GOOD, headers=(*HEADERS, "备注")): "headers",
        workbook(tmp_path / "d.xlsx", []): "no data rows",
        workbook(tmp_path / "e.xlsx", [("", None, " ", None, None)]): "no data rows",
    }
    for path, words in cases.items():
        with translation.override("en"), pytest.raises(ServicePointImportRefused) as refused:
            service_points_import(user=head, path=path)
        assert words in refused.value.message, path
    assert not ServicePoint.objects.exists()


def test_a_failure_while_writing_applies_nothing(world, tmp_path, monkeypatch):
    head = world.users[roles.HEAD_OFFICE]
    service_points_import(user=head, path=workbook(tmp_path / "a.xlsx", GOOD[:1]))
    changed = [GOOD[0][:4] + ("2020-06-30",), *GOOD[1:]]

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service_points, "_audit", broken)
    with pytest.raises(RuntimeError):
        service_points_import(user=head, path=workbook(tmp_path / "b.xlsx", changed))
    assert list(ServicePoint.objects.values_list("name", "active_until")) == [("诸葛村ATM", None)]


def test_template_has_the_headers(tmp_path):
    from python_calamine import CalamineWorkbook

    path = service_points.template_workbook(tmp_path / "t.xlsx")
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert tuple(rows[0]) == HEADERS and len(rows) == 1


def test_command(world, tmp_path, capsys):
    call_command("import-service-points", str(workbook(tmp_path / "a.xlsx", GOOD + BAD[:1])))
    out = capsys.readouterr().out
    assert "created: 4" in out and "rejected: 1" in out and "第 6 行" in out
    with pytest.raises(CommandError):
        call_command("import-service-points", str(tmp_path / "missing.xlsx"))
