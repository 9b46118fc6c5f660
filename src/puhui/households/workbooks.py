"""Reading the register workbook and writing the error workbook, the template and the village export."""

from collections.abc import Callable, Iterator
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from puhui.core.upload_limits import UploadRefused, WorkbookLimits, workbook_rows_read
from puhui.households import register
from puhui.households.import_messages import SAME_HOUSEHOLD_OTHER_ROW, ImportRefused

ERROR_COLUMN = "错误原因"
# Persons a file may hold: the benchmarked size (bench/workloads/import_.py), several townships' registers. A larger
# file is refused before it is read, since the import holds every row in memory to group the households.
MAX_ROWS = 100_000
MAX_COLUMNS = 26  # the template has 12; a sheet reaching past Z is not a register


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
    """The first visible sheet's rows; too large, not a workbook, a zip bomb, too many rows: refused unread."""
    limits = WorkbookLimits(max_bytes=settings.PUHUI_IMPORT_MAX_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS)
    try:
        return workbook_rows_read(path, limits)
    except UploadRefused as exc:
        raise ImportRefused(exc.message) from exc


def text_cell_for_excel(sheet, value):
    """Write strings as text cells: a name like '=1+1' or '<script>' stays the text it is, never a formula.

    A control character (a bad row's very reason, read from the upload's _x0001_) cannot stand in the XML:
    it is written as Excel writes it, _x0001_, which Excel and calamine read back as the character."""
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
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
