"""差距分析表: a scope's indicators with value, target, gap, state and projection as a workbook; for a township
its villages, for a branch its townships, on a second sheet. Text cells are written as text, never as formulas."""

import datetime
import io
import re
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from puhui.households.workbooks import text_cell_for_excel
from puhui.kpi import dashboard
from puhui.kpi import selectors as kpi_selectors
from puhui.kpi.models import Indicator

INVALID_TITLE = re.compile(r"[\[\]:*?/\\]")
NUMBER_FORMATS = {Indicator.Unit.PERCENT: "0.00%", Indicator.Unit.YUAN: "#,##0"}


def gap_workbook(*, user, scope: str, date: datetime.date) -> bytes:
    """The scope's gap report; the scope rule of kpi_scope_area applies (404 outside, 400 malformed)."""
    area = kpi_selectors.kpi_scope_area(user=user, scope=scope)
    rows = dashboard.dashboard_rows(user=user, scope=area.key, date=date)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(_("Gap analysis")))
    sheet.append([text_cell_for_excel(sheet, _("Scope")), text_cell_for_excel(sheet, area.key)])
    sheet.append([text_cell_for_excel(sheet, _("As of")), text_cell_for_excel(sheet, date.isoformat())])
    sheet.append([])
    sheet.append([text_cell_for_excel(sheet, str(h)) for h in _indicator_headers()])
    for row in rows:
        sheet.append(_indicator_cells(sheet, row))
    if area.level == "township":
        villages = dashboard.township_villages(villages=area.villages, date=date, targets=dashboard.zc_targets(rows))
        _places_sheet(workbook, _("Villages"), _("Village code"), _("Village"), villages)
    elif area.level == "branch":
        branch = kpi_selectors.branch_get(user=user, code=area.key.split(":", 1)[1])
        townships = dashboard.township_ranking(
            user=user, date=date, targets=dashboard.zc_targets(rows), branch_id=branch.pk
        )
        _places_sheet(workbook, _("Townships"), _("Township code"), _("Township"), townships)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def sheet_title(text: str) -> str:
    """Excel refuses []:*?/\\ in a sheet title and more than 31 characters (乡镇/街道 has a slash)."""
    return INVALID_TITLE.sub("、", text)[:31] or "-"


def _indicator_headers() -> list[str]:
    return [
        _("Code"),
        _("Indicator"),
        _("Unit"),
        _("Value"),
        _("Target"),
        _("Target year"),
        _("Gap to target"),
        _("State"),
        _("Projection at the target date"),
        _("Source"),
    ]


def _indicator_cells(sheet, row: dashboard.DashboardRow) -> list:
    text = [row.code, row.name, str(Indicator.Unit(row.unit).label) if row.unit in Indicator.Unit.values else row.unit]
    cells = [text_cell_for_excel(sheet, value) for value in text]
    cells += [
        _number_cell(sheet, row.value, row.unit),
        _number_cell(sheet, row.target, row.unit),
        row.target_year,
        _number_cell(sheet, row.gap, row.unit),
        text_cell_for_excel(sheet, row.state_label),
        _number_cell(sheet, row.projection, row.unit),
        text_cell_for_excel(sheet, row.source_label),
    ]
    return cells


def _number_cell(sheet, value: Decimal | None, unit: str):
    cell = WriteOnlyCell(sheet, value=value)
    if unit in NUMBER_FORMATS:
        cell.number_format = NUMBER_FORMATS[unit]
    return cell


def _places_sheet(workbook, title: str, code_header: str, name_header: str, places: list[dict]) -> None:
    """A township's villages or a branch's townships with ZC1–ZC4."""
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([text_cell_for_excel(sheet, h) for h in (code_header, name_header, *dashboard.ZC_CODES)])
    for place in places:
        cells = [text_cell_for_excel(sheet, place["code"]), text_cell_for_excel(sheet, place["name"])]
        cells += [
            _number_cell(sheet, place["figures"].get(code), Indicator.Unit.PERCENT) for code in dashboard.ZC_CODES
        ]
        sheet.append(cells)
