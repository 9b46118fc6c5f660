"""Reading the register workbook and writing the error workbook, the template and the village export."""

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from python_calamine import CalamineError, CalamineWorkbook

from puhui.households import register
from puhui.households.import_messages import SAME_HOUSEHOLD_OTHER_ROW, ImportRefused

ERROR_COLUMN = "错误原因"


def register_rows_read(path: Path) -> Iterator[tuple[int, tuple]]:
    """(row number, cells) of each non-empty data row of the first sheet; ImportRefused for a bad file."""
    sheet_rows = _first_sheet_rows(path)
    if not sheet_rows or not register.headers_match(sheet_rows[0]):
        raise ImportRefused(
            _("The first row must be the template's headers: %(headers)s.") % {"headers": "、".join(register.HEADERS)}
        )
    for offset, cells in enumerate(sheet_rows[1:], start=2):
        # C-speed any() first; a row of blanks and spaces is empty too
        if any(cells) and any(type(c) is not str or c.strip() for c in cells):
            yield offset, tuple(cells)


def register_precheck(path: Path) -> None:
    """Refuse at once a file that is not a workbook, has other headers or no data row."""
    if next(register_rows_read(path), None) is None:
        raise ImportRefused(_("The workbook has no data rows under the header."))


def _first_sheet_rows(path: Path) -> list[list]:
    if not zipfile.is_zipfile(path):
        raise ImportRefused(_("The file is not an Excel workbook (.xlsx)."))
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        if not workbook.sheet_names:
            raise ImportRefused(_("The workbook has no sheet."))
        return workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except (CalamineError, ValueError, TypeError, OSError) as exc:
        raise ImportRefused(_("The file is not an Excel workbook (.xlsx).")) from exc


def text_cell_for_excel(sheet, value):
    """Write strings as text cells: a name like '=1+1' or '<script>' stays the text it is, never a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def error_workbook_write(households, path: Path, problem_text: Callable[[str, dict], str]) -> Path:
    """Every row of every rejected household as uploaded, plus 错误原因 (reasons, or 同户其他成员有误)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.append([*register.HEADERS, ERROR_COLUMN])
    for household in households:
        for row in household.rows:
            reason = "；".join(problem_text(code, params) for code, params in row.problems) or str(
                SAME_HOUSEHOLD_OTHER_ROW
            )
            sheet.append([text_cell_for_excel(sheet, v) for v in (*row.raw, reason)])
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


TEXT_COLUMNS = ("A", "B", "C", "F", "G")  # codes, 户编号, ID and phone: text, or Excel eats the digits


def template_workbook(path: Path) -> Path:
    """The blank register template: the headers, text-formatted code/ID/phone columns, an example row."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "农户花名册"
    sheet.append(list(register.HEADERS))
    for letter, width in zip("ABCDEFGHIJKL", (12, 15, 10, 12, 10, 22, 14, 10, 16, 16, 14, 16), strict=True):
        sheet.column_dimensions[letter].width = width
    for letter in TEXT_COLUMNS:
        for row in range(2, 2001):
            sheet[f"{letter}{row}"].number_format = "@"
    sheet.freeze_panes = "A2"
    workbook.save(path)
    return path
