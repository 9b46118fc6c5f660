"""Limits every file import checks before its parser sees the file: size, and for a workbook what it unpacks to.

An .xlsx is a zip of XML parts, and the reader (python-calamine) trusts them: a sheet whose XML inflates to
gigabytes, a shared-strings part of one huge string, or two cells at A1 and XFD1048576 (which makes calamine
allocate the whole grid between them: half a terabyte, and the process aborts — no exception to catch) all fit
in a few hundred bytes. ``xlsx_guard`` inflates each part itself in blocks, counting the bytes actually
produced (the sizes a zip declares may lie), and scans the first sheet's XML for how many rows and columns it
spans, so such a file is refused with a clear message before calamine opens it and with memory bounded by a
block. No Django model here: the callers turn ``UploadRefused`` into their own refusal.
"""

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy
from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

BLOCK = 1 << 20  # bytes inflated at a time
MAX_PARTS = 1000

ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row[\s>/]")
CELL_REF = re.compile(rb"([A-Z]{0,3})([0-9]{1,9})\"")
# a cell without an r attribute: calamine places it right of the previous one, so it widens the grid too
CELL_WITHOUT_REF = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c(?:/?>|\s(?![^>]*\br=)[^>]*>)")


class UploadRefused(Exception):
    """A file refused before parsing; ``code`` and ``params`` say why, ``message`` in the user's language."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return refusal_text(self.code, self.params)


MESSAGES = {
    "too_large": gettext_lazy("The file is larger than %(mb)d MB."),
    "not_xlsx": gettext_lazy("The file is not an Excel workbook (.xlsx)."),
    "unpacks_too_large": gettext_lazy(
        "The workbook unpacks to more than %(mb)d MB, far more than its rows need; save it again from Excel or"
        " split it."
    ),
    "too_many_rows": gettext_lazy("The workbook has more than %(max)d rows."),
    "too_many_columns": gettext_lazy("The first sheet uses more than %(max)d columns."),
    "no_sheet": gettext_lazy("The workbook has no sheet."),
}


def refusal_text(code: str, params: dict) -> str:
    text = str(MESSAGES[code])
    return text % params if params else text


@dataclass(frozen=True)
class WorkbookLimits:
    max_bytes: int  # the file as uploaded
    max_rows: int  # data rows (the header row not counted)
    max_columns: int = 50
    max_unpacked_bytes: int = 200 * 1024 * 1024  # all parts together, as inflated


def file_size_check(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise UploadRefused("too_large", mb=max_bytes // (1024 * 1024))


def xlsx_guard(path: Path, limits: WorkbookLimits) -> None:
    """Refuse (UploadRefused) a file that is too large, not a zip, unpacks too large, or whose first sheet spans
    more rows or columns than the limits; otherwise return, having read the file once in bounded memory."""
    try:
        file_size_check(path.stat().st_size, limits.max_bytes)
        if not zipfile.is_zipfile(path):
            raise UploadRefused("not_xlsx")
        with zipfile.ZipFile(path) as archive:
            _archive_check(archive, limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, zlib.error, EOFError, OSError) as exc:
        raise UploadRefused("not_xlsx") from exc
    except (NotImplementedError, RuntimeError, ValueError, KeyError) as exc:  # other compression, encrypted
        raise UploadRefused("not_xlsx") from exc


def workbook_rows_read(path: Path, limits: WorkbookLimits) -> list[list]:
    """The rows of the workbook's first visible worksheet — the one its user sees — as a grid from A1 (calamine's
    cells: '' when empty), each merged range filled with its top-left value, as it shows on screen (a 户编号
    merged over a household's rows belongs to each of them). UploadRefused for a file that cannot be read."""
    xlsx_guard(path, limits)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        index = _first_visible_worksheet(workbook.sheets_metadata)
        if index is None:
            raise UploadRefused("no_sheet")
        sheet = workbook.get_sheet_by_index(index)
        rows = sheet.to_python(skip_empty_area=False)
        _merged_fill(rows, sheet.merged_cell_ranges or ())
    except (CalamineError, ValueError, TypeError, OSError, KeyError, IndexError) as exc:
        raise UploadRefused("not_xlsx") from exc
    return rows


def _first_visible_worksheet(sheets) -> int | None:
    """The index of the first visible worksheet (no chart sheet), else of the first worksheet; the guard's
    ``first_sheet_member`` chooses the same one from the XML."""
    worksheets = [i for i, s in enumerate(sheets) if s.typ == SheetTypeEnum.WorkSheet]
    visible = [i for i in worksheets if sheets[i].visible == SheetVisibleEnum.Visible]
    return (visible or worksheets or [None])[0]


def _merged_fill(rows: list[list], ranges) -> None:
    """Copy each merged range's top-left value into its other cells, within the grid read (a range may reach
    XFD1048576 while the cells end at L200: only the cells read are filled)."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for row in rows[top : bottom + 1]:
            row[left : right + 1] = [value] * len(row[left : right + 1])


def _archive_check(archive: zipfile.ZipFile, limits: WorkbookLimits) -> None:
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise UploadRefused("not_xlsx")
    budget = limits.max_unpacked_bytes
    if sum(part.file_size for part in parts) > budget:  # what the zip declares: refused without inflating
        raise _unpacks_too_large(limits)
    sheet = first_sheet_member(archive)
    for part in parts:
        # the sheet read is scanned; when the XML does not say which it is, every XML part is, to be safe
        scanned = part.filename == sheet if sheet is not None else part.filename.endswith(".xml")
        scan = _SheetScan(limits) if scanned else None
        budget -= _inflate(archive, part, budget, scan, limits)
        if scan is not None:
            scan.check()


def _unpacks_too_large(limits: WorkbookLimits) -> UploadRefused:
    return UploadRefused("unpacks_too_large", mb=limits.max_unpacked_bytes // (1024 * 1024))


def _inflate(archive: zipfile.ZipFile, part: zipfile.ZipInfo, budget: int, scan, limits) -> int:
    """Inflate one part block by block, at most `budget` bytes whatever its header says; the bytes produced."""
    if part.is_dir():
        return 0
    # zipfile stops at the declared size and checks the CRC there: declare more than the budget and a block,
    # so that a part that lies is caught by the count below, not taken for a corrupt one
    unbounded = _copy_with_size(part, budget + 2 * BLOCK)
    produced = 0
    with archive.open(unbounded) as stream:
        while block := stream.read(BLOCK):
            produced += len(block)
            if produced > budget:
                raise _unpacks_too_large(limits)
            if scan is not None:
                scan.feed(block)
    return produced


def _copy_with_size(part: zipfile.ZipInfo, size: int) -> zipfile.ZipInfo:
    copy = zipfile.ZipInfo(part.filename, part.date_time)
    for name in ("compress_type", "flag_bits", "header_offset", "compress_size", "CRC", "extra", "create_system"):
        setattr(copy, name, getattr(part, name))
    copy.file_size = size
    return copy


class _SheetScan:
    """How many rows and how wide a grid a sheet's XML makes calamine build, from its tags, without parsing it.

    Blocks are cut before their last "<", so every tag is seen whole and once (XML text never holds a "<")."""

    def __init__(self, limits: WorkbookLimits) -> None:
        self.limits = limits
        self.carry = b""
        self.rows = 0
        self.highest_row = 0
        self.highest_column = 0
        self.row_unreferenced = 0  # cells without r in the row being read
        self.widest_unreferenced = 0
        # a reference with two letters, or a row number with this many digits, may lie beyond the limits
        digits = len(str(limits.max_rows + 1))
        self.suspect_ref = re.compile(rb'r="(?:[A-Z]{2}|[A-Z]{0,3}[0-9]{%d})' % digits)

    def feed(self, block: bytes) -> None:
        text = self.carry + block
        cut = text.rfind(b"<")
        cut = len(text) if cut <= 0 or len(text) - cut > BLOCK else cut
        self.carry = text[cut:]
        self._read(text[:cut])

    def check(self) -> None:
        """At the end of the sheet: the last piece read, the limits checked."""
        self._read(self.carry)
        self.carry = b""

    def _limits_check(self) -> None:
        if max(self.rows, self.highest_row) > self.limits.max_rows + 1:
            raise UploadRefused("too_many_rows", max=self.limits.max_rows)
        if self.highest_column + self.widest_unreferenced > self.limits.max_columns:
            raise UploadRefused("too_many_columns", max=self.limits.max_columns)

    def _read(self, text: bytes) -> None:
        # Counting literal tags runs at memory speed; the regular expressions only on the rare suspects. Row
        # numbers come from the r attributes of rows and cells; rows without one are counted with their cells.
        unreferenced = text.count(b"<c") - text.count(b'<c r="')
        if unreferenced > 0:
            unreferenced -= text.count(b"<col")  # <cols> and <col>: column widths, not cells
        if unreferenced > 0 or b":c" in text:  # cells without r, or tags with a namespace prefix (<x:c>)
            self._unreferenced_count(text)
        for match in self.suspect_ref.finditer(text):
            self._far_ref_read(text, match.start() + 3)
        self._limits_check()  # block by block: a million rows are refused at the first rows past the limit

    def _far_ref_read(self, text: bytes, start: int) -> None:
        match = CELL_REF.match(text, start)
        if match is not None:
            letters, digits = match.groups()
            self.highest_column = max(self.highest_column, column_index(letters.decode()) if letters else 0)
            self.highest_row = max(self.highest_row, int(digits))

    def _unreferenced_count(self, text: bytes) -> None:
        start = 0
        for match in ROW_TAG.finditer(text):
            self.rows += 1
            self._widen(len(CELL_WITHOUT_REF.findall(text, start, match.start())))
            self.row_unreferenced, start = 0, match.start()
        self._widen(len(CELL_WITHOUT_REF.findall(text, start)))

    def _widen(self, count: int) -> None:
        self.row_unreferenced += count
        self.widest_unreferenced = max(self.widest_unreferenced, self.row_unreferenced)


def column_index(letters: str) -> int:
    """'A' → 1, 'Z' → 26, 'AA' → 27, 'XFD' → 16384."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def first_sheet_member(archive: zipfile.ZipFile) -> str | None:
    """The zip member of the workbook's first visible worksheet (else its first worksheet), or None: the sheet
    ``workbook_rows_read`` reads."""
    workbook = ElementTree.fromstring(_without_doctype(_small_part(archive, "xl/workbook.xml")))  # noqa: S314
    rels = ElementTree.fromstring(_without_doctype(_small_part(archive, "xl/_rels/workbook.xml.rels")))  # noqa: S314
    targets = {rel.get("Id"): rel for rel in rels.iter() if _local(rel.tag) == "Relationship"}
    worksheets = []
    for sheet in (e for e in workbook.iter() if _local(e.tag) == "sheet"):
        rel_id = next((v for k, v in sheet.attrib.items() if _local(k) == "id"), None)
        rel = targets.get(rel_id)
        if rel is None or not rel.get("Type", "").endswith("/worksheet"):
            continue
        target = rel.get("Target", "").lstrip("/")
        member = target if target.startswith("xl/") else f"xl/{target}"
        worksheets.append((sheet.get("state", "visible") == "visible", member))
    visible = [member for shown, member in worksheets if shown]
    return (visible or [member for _shown, member in worksheets] or [None])[0]


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part that is only a few kilobytes in a real workbook, read at most 4 MB whatever its header says."""
    try:
        part = archive.getinfo(name)
    except KeyError as exc:
        raise UploadRefused("not_xlsx") from exc
    with archive.open(_copy_with_size(part, 4 * 1024 * 1024)) as stream:
        return stream.read(4 * 1024 * 1024)


def _without_doctype(data: bytes) -> bytes:
    """Workbook XML never declares a DTD; one that does is refused before expat sees it (no entity tricks)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UploadRefused("not_xlsx")
    return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
