"""Workbooks for the imported-figure tests, written with openpyxl as a bank clerk's Excel would save them."""

import datetime
from pathlib import Path

from openpyxl import Workbook

from puhui.kpi.figure_workbook import HEADERS


def figure_workbook(path: Path, rows: list[list], *, headers=HEADERS, percent_cells: tuple[int, ...] = ()) -> Path:
    """A workbook with the template's headers and these rows (cells as given: text, numbers, dates, '=formulas');
    ``percent_cells``: row indexes whose 数值 cell is percent-formatted."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for index, row in enumerate(rows):
        sheet.append(row)
        if index in percent_cells:
            sheet.cell(row=index + 2, column=5).number_format = "0.00%"
    workbook.save(path)
    return path


def row(code, scope, period, value, note=""):
    """A template row: 指标代码, 指标名称, 范围, 截至日期, 数值, 单位说明, 备注."""
    return [code, "", scope, period, value, "", note]


D = datetime.date
