"""月度导入数据: the monthly workbook of imported figures — the template per source system, the reading of an
uploaded file and the checks of its rows. No database here: the caller passes the catalogue and the scopes.

Values, one convention per unit, said in the template:
- percent: a fraction as Excel stores a percent cell (85.3 % is the number 0.853); the template formats those
  cells as percentages, so typing 85.3 there stores 0.853. Text "85.3%" is read the same. A plain 85.3 is out
  of range (0–100 %), never silently taken for 0.853 or 8530 %.
- yuan: 元 (not 万元), at most two decimals; households / count / villages: whole numbers.
"""

import datetime
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from xml.etree import ElementTree

from puhui.core.upload_limits import UploadRefused, WorkbookLimits, first_sheet_member, workbook_rows_read

CORE_BANKING, CHANNELS, SOCIAL_SECURITY = "core_banking", "channels", "social_security"
FILE_SOURCES = (CORE_BANKING, CHANNELS, SOCIAL_SECURITY)
# The one place that says which outside system reports an imported indicator: by its code's letters.
SOURCE_BY_PREFIX = {"DK": CORE_BANKING, "JC": CORE_BANKING, "QD": CHANNELS, "SB": SOCIAL_SECURITY}
IMPORTED_SOURCES = ("imported", "internal+imported")

HEADERS = ("指标代码", "指标名称", "范围", "截至日期", "数值", "单位说明", "备注")
CODE, NAME, SCOPE, PERIOD, VALUE, UNIT, NOTE = range(len(HEADERS))
CITY_WORDS = ("全市", "city")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 26  # the template has 7
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # a 5,000-row sheet unpacks to a few MB
MAX_NOTE = 200
LIMIT = Decimal(10) ** 14  # ImportedFigure.value: 18 digits, 4 of them decimals
PERCENT_PLACES, YUAN_PLACES = 4, 2
DATE_TEXT = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
NUMBER_TEXT = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


class FigureFileRefused(Exception):
    """The file as a whole cannot be read (not a workbook, other headers, no rows): nothing changed."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class IndicatorFacts:
    pk: int
    code: str
    name: str
    unit: str
    source: str  # internal | imported | internal+imported
    scopes: tuple[str, ...]


@dataclass
class FigureRow:
    line: int
    raw: tuple[str, ...]
    code: str = ""
    scope_text: str = ""
    period: datetime.date | None = None
    value: Decimal | None = None
    note: str = ""
    scope: str = ""  # the resolved scope key: city | township:CODE | branch:CODE
    indicator: IndicatorFacts | None = None
    problems: list[tuple[str, dict]] = field(default_factory=list)

    def refuse(self, problem: str, /, **params) -> None:
        self.problems.append((problem, params))

    @property
    def is_valid(self) -> bool:
        return not self.problems


def source_system_of(code: str, source: str) -> str | None:
    """The outside system an imported (or partly imported) indicator comes from; None when internal only."""
    if source not in IMPORTED_SOURCES:
        return None
    return SOURCE_BY_PREFIX.get(code[:2].upper())


# ---------------------------------------------------------------- reading


def sheet_rows_read(path: Path) -> list[tuple[int, list]]:
    """(row number, cells) of the data rows of the first sheet; FigureFileRefused for an unusable file."""
    limits = WorkbookLimits(
        max_bytes=MAX_FILE_BYTES, max_rows=MAX_ROWS, max_columns=MAX_COLUMNS, max_unpacked_bytes=MAX_UNPACKED_BYTES
    )
    try:
        rows = workbook_rows_read(path, limits)  # the size, zip-bomb, row and column limits checked first
    except UploadRefused as exc:
        code = "not_xlsx" if exc.code == "no_sheet" else exc.code
        params = {"max_mb": exc.params["mb"]} if exc.code == "too_large" else exc.params
        raise FigureFileRefused(code, **params) from exc
    if not rows or tuple(_text(c) for c in rows[0][: len(HEADERS)]) != HEADERS:
        raise FigureFileRefused("headers", headers="、".join(HEADERS))
    data = [(number, cells) for number, cells in enumerate(rows[1:], start=2) if _filled(cells)]
    if not data:
        raise FigureFileRefused("empty")
    if len(data) > MAX_ROWS:
        raise FigureFileRefused("too_many_rows", max=MAX_ROWS)
    return data


def formula_cells(path: Path) -> set[tuple[int, int]]:
    """(row number, column index) of every formula cell of the first sheet: calamine gives only the cached
    value, so the sheet's XML says which cells hold formulas (a figure must be typed or pasted as a value)."""
    try:
        with zipfile.ZipFile(path) as archive:
            sheet = first_sheet_member(archive)
            if sheet is None:
                return set()
            found = set()
            parser = ElementTree.XMLPullParser(events=("end",))
            with archive.open(sheet) as stream:
                for block in iter(lambda: stream.read(1 << 16), b""):
                    parser.feed(_without_doctype(block))
                    for _event, element in parser.read_events():
                        if _local(element.tag) == "c":
                            if any(_local(child.tag) == "f" for child in element):
                                found.add(_cell_position(element.get("r", "")))
                            element.clear()
            return found
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError, UploadRefused):
        return set()


def _without_doctype(block: bytes) -> bytes:
    """Workbook XML never declares a DTD; one that does is refused before expat sees it (no entity tricks,
    the more so as defusedxml is not installed — expat ≥ 2.4 limits entity expansion anyway)."""
    if b"<!DOCTYPE" in block or b"<!ENTITY" in block:
        raise ValueError("a DTD in workbook XML")
    return block


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cell_position(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return int(ref[len(letters) :] or 0), column - 1


def _filled(cells: list) -> bool:
    return any(c is not None and (type(c) is not str or c.strip()) for c in cells[: len(HEADERS)])


def _text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime.datetime) and cell.time() == datetime.time(0):
        return cell.date().isoformat()
    # A NUL (the file's _x0000_, which calamine decodes) cannot be stored by PostgreSQL in text or JSON: it is
    # kept as the file wrote it. Other control characters are stored and shown as they are.
    return str(cell).strip().replace("\x00", "_x0000_")


# ---------------------------------------------------------------- parsing one row


def rows_parse(data: Iterable[tuple[int, list]], formulas: set[tuple[int, int]]) -> list[FigureRow]:
    """Each filled row parsed into a FigureRow; a row whose 数值 is empty is a template row not reported."""
    rows = []
    formula_lines = {line for line, _column in formulas}  # a set: a sheet of formulas is not rows × formulas
    for line, cells in data:
        cells = list(cells[: len(HEADERS)]) + [None] * (len(HEADERS) - len(cells[: len(HEADERS)]))
        if _text(cells[VALUE]) == "" and (line, VALUE) not in formulas:
            continue
        row = FigureRow(line=line, raw=tuple(_text(c) for c in cells))
        if line in formula_lines:
            row.refuse("formula")
        row.code = _text(cells[CODE]).upper()
        row.scope_text = _text(cells[SCOPE])
        row.note = _text(cells[NOTE])
        row.period = _period_parse(row, cells[PERIOD])
        row.value = _value_cell_parse(row, cells[VALUE])
        rows.append(row)
    return rows


def _period_parse(row: FigureRow, cell) -> datetime.date | None:
    if isinstance(cell, datetime.datetime):
        if cell.time() != datetime.time(0):
            row.refuse("bad_date")
            return None
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = _text(cell)
    if not text:
        row.refuse("date_missing")
        return None
    match = DATE_TEXT.match(text) if isinstance(cell, str) else None
    try:
        if match is None:
            raise ValueError(text)
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        row.refuse("bad_date")
        return None


def _value_cell_parse(row: FigureRow, cell) -> Decimal | None:
    """The cell as a Decimal (a float cell through its shortest repr, never float arithmetic); a text with a
    trailing % is divided by 100 here, so every value is in the stored representation afterwards."""
    if isinstance(cell, (bool, datetime.date, datetime.time, datetime.timedelta)):
        row.refuse("not_number")
        return None
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        return Decimal(repr(cell)) if cell == cell and abs(cell) != float("inf") else _not_number(row)
    value = number_text_parse(_text(cell))
    return _not_number(row) if value is None else value


def _not_number(row: FigureRow) -> None:
    row.refuse("not_number")
    return None


def number_text_parse(text: str, *, percent_points: bool = False) -> Decimal | None:
    """'1,234.5' → 1234.5; '85.3%' → 0.853; None when it is no number. ``percent_points``: a bare number is
    in percentage points (the entry form's 85.3 means 85.3 %)."""
    text = text.strip().replace("，", ",").replace("％", "%")
    is_percent = text.endswith("%")
    text = text.removesuffix("%").strip()
    if not NUMBER_TEXT.match(text):
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    return value / 100 if is_percent or percent_points else value


# ---------------------------------------------------------------- checks


def value_problem(value: Decimal, unit: str) -> tuple[str, dict] | None:
    """Why a value (stored representation) is not acceptable for the unit, or None."""
    if value < 0:
        return ("negative", {})
    if value >= LIMIT:
        return ("too_large", {})
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if unit == "percent":
        if value > 1:
            return ("percent_range", {"shown": _points(value), "percent": _points(value * 100)})
        if places > PERCENT_PLACES:
            return ("percent_places", {})
    elif unit == "yuan":
        if places > YUAN_PLACES:
            return ("yuan_places", {})
    elif places:
        return ("whole_number", {})
    return None


def _points(value: Decimal) -> str:
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class CheckContext:
    """What the row checks need to know: the catalogue, the file's source, scopes and the last allowed date."""

    catalogue: dict[str, IndicatorFacts]
    source: str | None  # a FILE_SOURCES value; None for manual entry (any imported indicator)
    scope_resolve: Callable[[str], str | None]  # 范围 text → scope key, None when unknown
    scope_allowed: Callable[[str], bool]  # may the uploader report for this scope?
    latest: datetime.date  # the business date: a figure cannot be as of a later day


def rows_check(rows: list[FigureRow], context: CheckContext) -> None:
    """Every problem of every row, and a repeated indicator/scope/date refused on its later rows."""
    first_line: dict[tuple, int] = {}
    for row in rows:
        row_check(row, context)
        if row.indicator is None or not row.scope or row.period is None:
            continue
        key = (row.indicator.code, row.scope, row.period)
        if key in first_line:
            row.refuse("duplicate", line=first_line[key])
        else:
            first_line[key] = row.line


def row_check(row: FigureRow, context: CheckContext) -> None:
    _indicator_check(row, context)
    _scope_check(row, context)
    if row.period is not None:
        if row.period.year < 2000:
            row.refuse("bad_date")
        elif row.period > context.latest:
            row.refuse("date_after_business_date", date=context.latest.isoformat())
    if row.value is not None and row.indicator is not None:
        problem = value_problem(row.value, row.indicator.unit)
        if problem is not None:
            row.refuse(problem[0], **problem[1])
    if len(row.note) > MAX_NOTE:
        row.refuse("note_too_long", max=MAX_NOTE)


def _indicator_check(row: FigureRow, context: CheckContext) -> None:
    if not row.code:
        row.refuse("code_missing")
        return
    facts = context.catalogue.get(row.code)
    if facts is None:
        row.refuse("code_unknown", indicator=row.code)
        return
    own_source = source_system_of(facts.code, facts.source)
    if own_source is None:
        row.refuse("internal_only", indicator=facts.code)
        return
    if context.source is not None and own_source != context.source:
        row.refuse("other_source", indicator=facts.code, source=own_source)
        return
    row.indicator = facts


def _scope_check(row: FigureRow, context: CheckContext) -> None:
    if not row.scope_text:
        row.refuse("scope_missing")
        return
    scope = context.scope_resolve(row.scope_text)
    if scope is None:
        row.refuse("scope_unknown", scope=row.scope_text)
        return
    if not context.scope_allowed(scope):
        row.refuse("scope_outside", scope=row.scope_text)
        return
    level = scope.split(":", 1)[0]
    if row.indicator is not None and level not in row.indicator.scopes:
        row.refuse("scope_level", indicator=row.indicator.code, level=level)
        return
    row.scope = scope


# ---------------------------------------------------------------- writing


@dataclass(frozen=True)
class TemplateTexts:
    """The translated words a template carries (the headers stay Chinese: they are the file format)."""

    sheet_title: str
    unit_hints: dict[str, str]  # unit → hint
    outside_part: str  # appended to the hint of an internal+imported indicator
    instructions: list[str]


def template_write(stream, *, indicators: list[IndicatorFacts], texts: TemplateTexts) -> None:
    """The monthly template of one source: one prefilled city row per indicator, percent cells formatted as
    percentages, the scope column as text (a township code must keep its digits), a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = texts.sheet_title
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for facts in indicators:
        hint = texts.unit_hints.get(facts.unit, "")
        if facts.source == "internal+imported":
            hint = f"{hint}；{texts.outside_part}"
        sheet.append([facts.code, facts.name, CITY_WORDS[0], None, None, hint, None])
        if facts.unit == "percent":
            sheet.cell(row=sheet.max_row, column=VALUE + 1).number_format = "0.00%"
    for row in range(2, 501):
        sheet.cell(row=row, column=SCOPE + 1).number_format = "@"
        sheet.cell(row=row, column=PERIOD + 1).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFG", (10, 30, 14, 14, 18, 60, 30), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    notes = workbook.create_sheet("填写说明")
    for line in texts.instructions:
        notes.append([line])
    notes.column_dimensions["A"].width = 120
    workbook.save(stream)


def error_workbook_write(stream, rows: list[tuple[tuple[str, ...], str]]) -> None:
    """The refused rows as uploaded, each with 错误原因, to correct and upload again as it is."""
    from openpyxl import Workbook

    from puhui.households.workbooks import ERROR_COLUMN, text_cell_for_excel

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("错误行")
    sheet.append([*HEADERS, ERROR_COLUMN])
    for raw, reason in rows:
        cells = list(raw[: len(HEADERS)]) + [""] * (len(HEADERS) - len(raw[: len(HEADERS)]))
        sheet.append([text_cell_for_excel(sheet, value) for value in (*cells, reason)])
    workbook.save(stream)
