"""Import fuzzing (issue #7, item 3): generated workbooks and CSVs against every file import of the platform.

The property, for the household register, the credit-bureau CSV, the monthly figures and the service-point
register: a clear error, or a correct partial result — never an uncaught exception (so never a 500), never a
household half imported, never a refused file that changed something (row counts compared), and memory bounded:
a file too large, a zip bomb or a million rows is refused before it is parsed.

Workbooks are written here by hand (``Forge``) rather than with openpyxl, so that they can hold what openpyxl
refuses to write and Excel or other tools still produce: cells without references, error and boolean cells,
formulas without a cached value, control characters as ``_x0001_``, hidden sheets, merged ranges, a dimension
that lies, parts whose zip header lies about their size.
"""

import codecs
import contextlib
import csv
import datetime
import io
import os
import re
import resource
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.utils import translation
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from puhui.core.models import JobRun
from puhui.core.services import business_date_set
from puhui.core.upload_limits import WorkbookLimits, workbook_rows_read
from puhui.deliberation.bureau import HEADER as BUREAU_HEADER
from puhui.deliberation.bureau import BureauFileRefused, bureau_csv_import
from puhui.deliberation.models import BureauRecord
from puhui.households.import_messages import ImportRefused
from puhui.households.importing import household_import
from puhui.households.models import Household, Person
from puhui.households.register import HEADERS as HOUSEHOLD_HEADERS
from puhui.households.register import text_cell
from puhui.kpi.figure_workbook import HEADERS as FIGURE_HEADERS
from puhui.kpi.figures import FigureRefused, figure_upload, problem_text
from puhui.kpi.models import FigureUpload, ImportedFigure, ServicePoint
from puhui.kpi.service_points import HEADERS as SERVICE_HEADERS
from puhui.kpi.service_points import ServicePointImportRefused, service_points_import
from puhui.org import roles
from tests.deliberation import test_bureau as bureau_tests
from tests.deliberation.test_bureau import BAD_CHECKSUM_ID, HEAD_ID, NEIGHBOUR_ID, SON_ID, SPOUSE_ID, UNKNOWN_ID
from tests.households.register_factory import valid_register

people = bureau_tests.people  # the fixture: four people registered through the households service
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
OLE2_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # an .xls (BIFF in an OLE2 compound file), renamed .xlsx

# ---------------------------------------------------------------- a hand-made .xlsx writer


@dataclass
class Sheet:
    name: str
    rows: list[list] = field(default_factory=list)  # cells: None, str, int, float, bool, or a Cell
    hidden: bool = False
    merged: list[str] = field(default_factory=list)  # "A2:A4"
    dimension: str | None = None
    with_refs: bool = True  # write r="A1" on rows and cells, as Excel does


@dataclass(frozen=True)
class Cell:
    kind: str  # "error" | "formula" | "date" | "shared" | "raw"
    value: object = None
    cached: object = None


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def xml_text(text: str) -> str:
    """Text for an XML text node; characters XML 1.0 cannot hold are written as Excel does: _x0001_."""
    out = []
    for ch in text:
        code = ord(ch)
        if code < 0x20 and ch not in "\t\n\r" or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            out.append(f"_x{code:04X}_")
        else:
            out.append(ch)
    return escape("".join(out))


def cell_xml(ref: str, value, shared: list[str]) -> str:
    r = f' r="{ref}"' if ref else ""
    if value is None:
        return ""
    if isinstance(value, Cell):
        if value.kind == "error":
            return f'<c{r} t="e"><v>{xml_text(str(value.value))}</v></c>'
        if value.kind == "formula":
            cached = "" if value.cached is None else f"<v>{xml_text(str(value.cached))}</v>"
            kind = ' t="str"' if isinstance(value.cached, str) else ""
            return f"<c{r}{kind}><f>{xml_text(str(value.value))}</f>{cached}</c>"
        if value.kind == "date":  # an Excel serial day number in a date-formatted cell (style 1)
            return f'<c{r} s="1"><v>{value.value}</v></c>'
        if value.kind == "shared":
            shared.append(str(value.value))
            return f'<c{r} t="s"><v>{len(shared) - 1}</v></c>'
        return str(value.value)  # raw XML, as given
    if isinstance(value, bool):
        return f'<c{r} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c{r}><v>{value!r}</v></c>"
    return f'<c{r} t="inlineStr"><is><t xml:space="preserve">{xml_text(str(value))}</t></is></c>'


def sheet_xml(sheet: Sheet, shared: list[str]) -> str:
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN}">']
    if sheet.dimension:
        parts.append(f'<dimension ref="{sheet.dimension}"/>')
    parts.append("<sheetData>")
    for index, row in enumerate(sheet.rows):
        number = index + 1
        parts.append(f'<row r="{number}">' if sheet.with_refs else "<row>")
        for col, value in enumerate(row):
            parts.append(cell_xml(f"{column_letters(col)}{number}" if sheet.with_refs else "", value, shared))
        parts.append("</row>")
    parts.append("</sheetData>")
    if sheet.merged:
        refs = "".join(f'<mergeCell ref="{ref}"/>' for ref in sheet.merged)
        parts.append(f'<mergeCells count="{len(sheet.merged)}">{refs}</mergeCells>')
    parts.append("</worksheet>")
    return "".join(parts)


STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def package_parts(sheets: list[Sheet]) -> dict[str, str]:
    """The parts of a workbook of these sheets, as calamine and Excel read them."""
    shared: list[str] = []
    sheet_parts = {f"xl/worksheets/sheet{i + 1}.xml": sheet_xml(s, shared) for i, s in enumerate(sheets)}
    entries = "".join(
        f'<sheet name="{xml_text(s.name)}" sheetId="{i + 1}" r:id="rId{i + 1}"'
        + (' state="hidden"' if s.hidden else "")
        + "/>"
        for i, s in enumerate(sheets)
    )
    rels = "".join(
        f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
        for i in range(len(sheets))
    )
    rels += f'<Relationship Id="rIdS" Type="{REL}/styles" Target="styles.xml"/>'
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(len(sheets))
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f"{overrides}</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}"><Relationship Id="rId1" '
            f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>{entries}'
            "</sheets></workbook>"
        ),
        "xl/styles.xml": STYLES,
        **sheet_parts,
    }
    if shared:
        items = "".join(f'<si><t xml:space="preserve">{xml_text(s)}</t></si>' for s in shared)
        parts["xl/sharedStrings.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" count="{len(shared)}">{items}</sst>'
        )
        rels += f'<Relationship Id="rIdSS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">{rels}</Relationships>'
    )
    return parts


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in package_parts(sheets).items():
            archive.writestr(name, text)
    return buffer.getvalue()


def deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def bomb_stream(prefix: bytes, unit: bytes, repeats: int, suffix: bytes) -> tuple[bytes, int, int]:
    """A raw deflate stream of prefix + unit × repeats + suffix built without compressing the whole: after a full
    flush the compressor starts afresh, so one compressed unit can be repeated. (stream, CRC-32, size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    body = compressor.compress(unit) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(suffix) + compressor.flush()
    crc = zlib.crc32(prefix)
    for _ in range(repeats):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(suffix, crc)
    return head + body * repeats + tail, crc, len(prefix) + len(unit) * repeats + len(suffix)


def raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated members (name, stream, CRC-32, declared size): the size may lie."""
    out, central = io.BytesIO(), []
    for name, data, crc, size in members:
        offset, fname = out.tell(), name.encode()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, crc, len(data), size, len(fname), 0))
        out.write(fname + data)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                33,
                crc,
                len(data),
                size,
                len(fname),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + fname
        )
    directory = b"".join(central)
    start = out.tell()
    out.write(directory)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(members), len(members), len(directory), start, 0))
    return out.getvalue()


def workbook_with_bomb(headers: tuple[str, ...], part: str, *, lie: bool, gigabytes: float = 2.0) -> bytes:
    """A valid little workbook (the headers, one row) but for one part: the first sheet or the shared strings,
    whose XML inflates to `gigabytes`; with ``lie`` its zip header declares a few kilobytes."""
    parts = package_parts([Sheet("户", [list(headers), [Cell("shared", "x")] * len(headers)])])
    repeats = int(gigabytes * 1024)
    if part == "sheet":  # a row, then a megabyte of blanks (legal between tags), again and again
        text = parts.pop("xl/worksheets/sheet1.xml").encode()
        cut = text.index(b"</sheetData>")
        unit = b"<row><c><v>1</v></c></row>".ljust(1024 * 1024)
        stream, crc, size = bomb_stream(text[:cut], unit, repeats, text[cut:])
        name = "xl/worksheets/sheet1.xml"
    else:  # one shared string of gigabytes: calamine would hold it whole
        parts.pop("xl/sharedStrings.xml")
        prefix = f'<?xml version="1.0"?><sst xmlns="{MAIN}" count="1"><si><t>'.encode()
        stream, crc, size = bomb_stream(prefix, b"a" * (1024 * 1024), repeats, b"</t></si></sst>")
        name = "xl/sharedStrings.xml"
    members = [(n, deflate(t.encode()), zlib.crc32(t.encode()), len(t.encode())) for n, t in parts.items()]
    members.append((name, stream, crc, 4096 if lie else size))
    return raw_zip(members)


def million_rows(path: Path, headers: tuple[str, ...], rows: int = 1_000_000, columns: int = 2) -> Path:
    """A workbook of the headers and `rows` short rows, streamed to disk (never held whole)."""
    parts = package_parts([Sheet("户", [list(headers)])])
    text = parts.pop("xl/worksheets/sheet1.xml")
    cut = text.index("</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, part in parts.items():
            archive.writestr(name, part)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(text[:cut].encode())
            for start in range(2, rows + 2, 10_000):
                sheet.write(
                    "".join(
                        f'<row r="{n}">'
                        + "".join(f'<c r="{column_letters(c)}{n}"><v>{n}</v></c>' for c in range(columns))
                        + "</row>"
                        for n in range(start, min(start + 10_000, rows + 2))
                    ).encode()
                )
            sheet.write(text[cut:].encode())
    return path


@contextlib.contextmanager
def peak_memory(limit_mb: int):
    """Python's peak allocation inside the block stays under limit_mb (zlib's and zipfile's buffers included)."""
    tracemalloc.start()
    try:
        yield
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < limit_mb * 1024 * 1024, f"peak {peak / 1e6:.0f} MB"


# ---------------------------------------------------------------- what every import must answer

FUZZ = settings(
    max_examples=int(os.environ.get("PUHUI_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=not os.environ.get("PUHUI_FUZZ_RANDOM"),  # `make test`: the same examples every run
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # each example runs in a savepoint rolled back (rolled_back)
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
CJK = re.compile(r"[\u4e00-\u9fff]")
# msgids added with the limits, translated in the .po after this change: until then shown in English
NEW_MSGIDS = (
    "The workbook has more than",
    "The workbook unpacks to more than",
    "The first sheet uses more than",
    "A line of the file is longer than",
    "The file has more than",
)


@contextlib.contextmanager
def rolled_back():
    """One fuzz example's writes, undone afterwards: every example starts from the same database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_clear(message) -> None:
    """A refusal the user can act on: a non-empty sentence in Chinese (the default language)."""
    assert isinstance(message, str) and message.strip()
    assert "Traceback" not in message and "Error(" not in message
    assert CJK.search(message) or message.startswith(NEW_MSGIDS), message


def counts(*models) -> tuple[int, ...]:
    return tuple(model.objects.count() for model in models)


def one_in(n: int):
    """True about once in n draws (False is the simpler example, the one hypothesis shrinks to)."""
    return st.sampled_from([False] * (n - 1) + [True])


CONTROL = st.characters(min_codepoint=0, max_codepoint=31)
TRICKY = [
    "=1+1",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "'; DROP TABLE households_person;--",
    "\u202e户主",
    "户主",
    "是",
    "Ｘ",
    "٣٣٠٧٨١١٠٢",  # Arabic-Indic digits: str.isdigit() says yes
    "３３０７８１１０２",  # full-width digits
    " ",
    "NULL",
    "1e309",
    "-0",
    "0x10",
    "1,000.005",
    "85.3%",
    "2017-02-30",
    "9999-12-31",
]
weird_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=CONTROL, min_size=1, max_size=5),
    st.sampled_from(TRICKY),
    st.builds(lambda n, ch: ch * n, st.integers(1000, 32767), st.sampled_from(["长", "a", "𠀀", "\t"])),  # huge
)
numbers = st.one_of(
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([2**63, -0.0, 1e-320, 0.1 + 0.2, 330781102, 330781102201]),
)
special_cells = st.one_of(
    st.builds(
        Cell,
        st.just("formula"),
        st.sampled_from(["1+1", "A1", "SUM(A1:A3)", "1/0", 'HYPERLINK("http://x")', "NOW()"]),
        st.one_of(st.none(), numbers, weird_text),
    ),
    st.builds(Cell, st.just("error"), st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?"])),
    st.builds(Cell, st.just("date"), st.one_of(st.integers(-5, 3_000_000), st.floats(-1, 3e6))),
    st.builds(Cell, st.just("shared"), weird_text),
)
any_cell = st.one_of(st.none(), weird_text, numbers, st.booleans(), special_cells)


@st.composite
def headers_variant(draw, headers: tuple[str, ...]) -> tuple[str, list]:
    """(kind, header row): the template's, or reordered, with an extra or repeated column, one missing."""
    kind = draw(st.sampled_from(["exact", "exact", "exact", "reordered", "extra", "duplicate", "missing"]))
    row = list(headers)
    if kind == "reordered":
        shuffled = draw(st.permutations(row))
        kind, row = ("exact", row) if list(shuffled) == row else (kind, list(shuffled))
    elif kind == "extra":
        row.append(draw(st.sampled_from(["备注", "x", "身份证号"])))
    elif kind == "duplicate":
        position = draw(st.integers(0, len(row) - 1))
        row[position] = row[(position + 1) % len(row)]
    elif kind == "missing":
        del row[draw(st.integers(0, len(row) - 1))]
    return kind, row


@st.composite
def mutated(draw, rows: list[list], max_changes: int = 6) -> list[list]:
    """The rows with a few cells replaced by anything a spreadsheet can hold, and maybe a very long row."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, max_changes))):
        if not rows:
            break
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(rows[row]) + 1))
        rows[row] += [None] * (column + 1 - len(rows[row]))
        rows[row][column] = draw(any_cell)
    if rows and draw(one_in(10)):  # an extremely long row: cells far past the template's
        rows[draw(st.integers(0, len(rows) - 1))] += ["x"] * draw(st.integers(1, 40))
    return rows


@st.composite
def workbook_layout(draw, header: list, rows: list[list]) -> list[Sheet]:
    """The sheets of the file: the data sheet maybe after a hidden one holding other data, written with or
    without cell references, with blank rows between, with a dimension that lies."""
    body = list(rows)
    if draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            body.insert(draw(st.integers(0, len(body))), [None, " ", ""])
    data = Sheet(
        "农户花名册",
        [list(header), *body],
        with_refs=not draw(one_in(5)),
        dimension=draw(st.sampled_from([None, None, "A1:XFD1048576", "A1:A1"])),
    )
    sheets = [data]
    if draw(one_in(4)):  # a hidden sheet before it: the user sees and means the visible one
        sheets.insert(0, Sheet("旧", [["作废"], ["old", 1, 2]], hidden=True))
    if draw(one_in(5)):
        sheets.append(Sheet("说明", [["填写说明"], ["x" * 100]]))
    return sheets


# ---------------------------------------------------------------- the household register (DOMAIN §8)

IN_TOWNSHIP = [("330781102", "330781102201"), ("330781102", "330781102202")]


@st.composite
def register_files(draw) -> tuple[str, list[Sheet]]:
    """A small register of valid households, mutated; some households' 户编号 merged over their rows."""
    register = valid_register(IN_TOWNSHIP, households=draw(st.integers(1, 5)), seed=draw(st.integers(1, 50)))
    rows = draw(mutated(register.rows))
    kind, header = draw(headers_variant(HOUSEHOLD_HEADERS)) if draw(one_in(3)) else ("exact", HOUSEHOLD_HEADERS)
    sheets = draw(workbook_layout(header, rows))
    data = next(s for s in sheets if not s.hidden and s.name == "农户花名册")
    if draw(st.booleans()) and data.with_refs:  # 户编号 merged over each household's rows, as officers do
        data.rows, data.merged = merge_numbers(data.rows)
    return kind, sheets


def merge_numbers(rows: list[list]) -> tuple[list[list], list[str]]:
    """Runs of rows with one 户编号 (column C) written once, the cells below it merged into it."""
    rows, merged, start = [list(r) for r in rows], [], 1
    for index in range(1, len(rows) + 1):
        same = index < len(rows) and len(rows[index]) > 2 and len(rows[start]) > 2
        if same and isinstance(rows[index][2], str) and rows[index][2] == rows[start][2]:
            continue
        if index - start > 1:
            merged.append(f"C{start + 1}:C{index}")
            for row in rows[start + 1 : index]:
                row[2] = None
        start = index
    return rows, merged


def expected_groups(path: Path) -> Counter:
    """Rows per (村代码, 户编号), as the import reads the file (merged cells filled)."""
    limits = WorkbookLimits(max_bytes=50 * 1024 * 1024, max_rows=100_000, max_columns=26)
    grid = workbook_rows_read(path, limits)
    return Counter(
        (text_cell(r[1]), text_cell(r[2]))
        for r in grid[1:]
        if len(r) > 2 and any(type(c) is not str or c.strip() for c in r)
    )


@FUZZ
@given(case=register_files())
def test_household_import_fuzzed(world, tmp_path, case):
    kind, sheets = case
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx_bytes(sheets))
    user = world.users[roles.HEAD_OFFICE]
    with rolled_back():
        before = counts(Household, Person)
        try:
            result = household_import(path=path, user=user, error_path=tmp_path / "errors.xlsx")
        except ImportRefused as exc:
            event(f"refused: {exc.message[:50]}")
            with translation.override("zh-hans"):
                assert_clear(ImportRefused(exc.message).message)
            assert counts(Household, Person) == before
            return
        assert kind == "exact", "a file with other headers must be refused"
        event(f"imported, {min(result.rejected_households, 1)} rejected")
        households = Household.objects.filter(village__code__in=[v for _t, v in IN_TOWNSHIP])
        assert counts(Household, Person) == (
            before[0] + result.imported_households,
            before[1] + result.imported_persons,
        )
        groups = expected_groups(path)
        for village, number, persons in households.values_list("village__code", "number").annotate(
            persons=Count("members")
        ):
            assert persons == groups[(village, number)], "a household is imported whole: every member of the file"
        if result.rejected_households:
            rejected = expected_error_pairs(result.error_report)
            assert not {(h.village.code, h.number) for h in households.select_related("village")} & rejected
            assert result.rejected_rows >= 1


def expected_error_pairs(path: Path) -> set[tuple[str, str]]:
    grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert grid[0][-1] == "错误原因"
    return {(text_cell(r[1]), text_cell(r[2])) for r in grid[1:]}


# ---------------------------------------------------------------- the credit-bureau batch result CSV

BUREAU_TODAY = datetime.date(2017, 7, 1)
bureau_ids = st.sampled_from([HEAD_ID, SPOUSE_ID, SON_ID, SON_ID.lower(), NEIGHBOUR_ID, UNKNOWN_ID, BAD_CHECKSUM_ID])
valid_dates = st.dates(datetime.date(2010, 1, 1), datetime.date(2017, 6, 30)).map(datetime.date.isoformat)
odd_dates = st.sampled_from(
    ["", "2017/06/30", "2017-02-30", "20170630", "2017-6-3", "２０１７-０６-３０", "2017-07-02"]
)
bureau_dates = st.one_of(valid_dates, valid_dates, valid_dates, odd_dates)  # one_of: branches equally likely
bureau_flags = st.sampled_from(["是", "否"] * 8 + ["", "Y", "1", "是否", " 是 "])


@st.composite
def bureau_rows(draw) -> list[list[str]]:
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = [draw(bureau_ids), draw(bureau_dates), *(draw(bureau_flags) for _ in range(5)), draw(bureau_dates)]
        if draw(one_in(6)):
            row[draw(st.integers(0, 7))] = draw(st.text(max_size=20))
        if draw(one_in(8)):  # a column too many or too few
            row = row + ["多余"] if draw(st.booleans()) else row[:-1]
        rows.append(row)
    return rows


@st.composite
def bureau_files(draw) -> tuple[str, bytes]:
    """(header kind, bytes): a CSV in some encoding, line endings mixed, maybe with a BOM, NUL bytes, a huge
    cell or line, quotes left open, or plain binary garbage."""
    if draw(one_in(10)):
        return "garbage", draw(st.one_of(st.binary(max_size=300), st.just(OLE2_MAGIC + bytes(500))))
    kind, header = draw(headers_variant(BUREAU_HEADER)) if draw(one_in(3)) else ("exact", BUREAU_HEADER)
    rows = draw(bureau_rows())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    endings = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=3))
    lines = text.split("\n")
    text = "".join(line + endings[i % len(endings)] for i, line in enumerate(lines[:-1]))
    extra = draw(st.sampled_from(["", "", "", "", "", "", "huge_cell", "long_line", "open_quote", "blank_lines"]))
    if extra == "huge_cell":
        text += f"{HEAD_ID},2017-06-30,{'是' * 200_000},否,否,否,否,\n"
    elif extra == "long_line":
        text += "," * 500_000 + "\n"
    elif extra == "open_quote":
        text += '"' + HEAD_ID + ",2017-06-30\n"
    elif extra == "blank_lines":
        text = text.replace(endings[0], endings[0] * 3, 2)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "gb18030", "gb18030", "utf-16", "big5"]))
    data = text.encode(encoding, errors="replace")
    if draw(one_in(10)):
        data = data[: draw(st.integers(0, len(data)))] + b"\x00" + data[len(data) // 2 :]
    if draw(one_in(10)):  # a BOM, maybe before GB18030 bytes
        data = codecs.BOM_UTF8 + data
    return kind, data


def bureau_data_rows(data: bytes) -> int:
    """The non-blank data rows of a file the import accepted (it decodes as UTF-8 or GB18030)."""
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("gb18030")
    records = list(csv.reader(io.StringIO(text, newline="")))
    return sum(1 for cells in records[1:] if any(c.strip() for c in cells))


@FUZZ
@given(case=bureau_files())
def test_bureau_import_fuzzed(world, people, tmp_path, case):
    kind, data = case
    path = tmp_path / "征信.csv"
    path.write_bytes(data)
    with rolled_back():
        before = counts(BureauRecord)
        try:
            result = bureau_csv_import(path=path, user=world.users[roles.HEAD_OFFICE], today=BUREAU_TODAY)
        except BureauFileRefused as exc:
            event(f"refused: {exc.message[:50]}")
            with translation.override("zh-hans"):
                assert_clear(BureauFileRefused(exc.message).message)
            assert counts(BureauRecord) == before
            return
        assert kind == "exact", "a file with other headers must be refused"
        event(f"imported {min(result.applied, 1)}, rejected {min(len(result.rejected_rows), 1)}")
        assert result.applied + result.unchanged + len(result.rejected_rows) == bureau_data_rows(data)
        assert counts(BureauRecord) == (before[0] + result.applied,)
        for _line, masked, reasons in result.rejected_rows:
            assert reasons and all(isinstance(r, str) and r for r in reasons)
            assert not any(full in masked for full in (HEAD_ID, SPOUSE_ID, NEIGHBOUR_ID))


# ---------------------------------------------------------------- the monthly figures workbook

FIGURES_TODAY = datetime.date(2026, 11, 26)
figure_codes = st.sampled_from(["DK1", "DK2", "DK3", "JC2", "dk1", " DK1 ", "QD3", "SB1", "ZC1", "XX9", ""])
figure_scopes = st.sampled_from(
    ["全市", "全市", "city", "330781102", "LX07", "330781101", "township:330781102", "", "火星"]
)
figure_periods = st.one_of(
    st.sampled_from(["2026-10-31", "2026-10-31", "2026/9/30", "2026-11-27", "1999-12-31", "2026-02-30", ""]),
    st.builds(Cell, st.just("date"), st.sampled_from([46326, 46326.5, 36525, 0, -1, 2958466])),
    st.dates(datetime.date(2000, 1, 1), datetime.date(2026, 11, 26)).map(datetime.date.isoformat),
)
figure_values = st.one_of(
    st.integers(0, 10**9),
    st.sampled_from(["1,234.50", "85.3%", "０.５", "1e5", "-5", "0.12345", "十万", "", "1" * 30]),
    numbers,
    special_cells,
)


@st.composite
def figure_files(draw) -> tuple[str, list[Sheet]]:
    rows = [
        [draw(figure_codes), "", draw(figure_scopes), draw(figure_periods), draw(figure_values), "", draw(weird_text)]
        for _ in range(draw(st.integers(1, 8)))
    ]
    rows = draw(mutated(rows, max_changes=3))
    kind, header = draw(headers_variant(FIGURE_HEADERS)) if draw(one_in(3)) else ("exact", FIGURE_HEADERS)
    if kind in ("extra",):  # columns after the template's seven are ignored by this import
        kind = "exact"
    return kind, draw(workbook_layout(header, rows))


@FUZZ
@given(case=figure_files())
def test_figure_import_fuzzed(world, tmp_path, case):
    kind, sheets = case
    business_date_set(business_date=FIGURES_TODAY)
    path = tmp_path / "月度.xlsx"
    path.write_bytes(xlsx_bytes(sheets))
    with rolled_back():
        before = counts(FigureUpload, ImportedFigure)
        try:
            result = figure_upload(
                path=path, file_name=path.name, source_system="core_banking", user=world.users[roles.HEAD_OFFICE]
            )
        except FigureRefused as exc:
            event(f"refused: {exc.code}")
            with translation.override("zh-hans"):
                assert_clear(exc.message)
            assert counts(FigureUpload, ImportedFigure) == before
            return
        assert kind == "exact", "a file with other headers must be refused"
        event(f"imported {min(result.applied, 1)}, rejected {min(result.rejected, 1)}")
        upload = result.upload
        assert result.applied + result.unchanged + result.rejected == upload.rows_total
        assert counts(FigureUpload, ImportedFigure) == (before[0] + 1, before[1] + result.applied)
        assert len(upload.errors) == result.rejected
        with translation.override("zh-hans"):
            for error in upload.errors:
                assert error["problems"] and all(problem_text(code, params) for code, params in error["problems"])


# ---------------------------------------------------------------- files that are no workbook at all


def household_run(world, path: Path):
    try:
        return household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=path.with_suffix(".err"))
    except ImportRefused as exc:
        return exc


def figure_run(world, path: Path):
    try:
        return figure_upload(
            path=path, file_name="x.xlsx", source_system="core_banking", user=world.users[roles.HEAD_OFFICE]
        )
    except FigureRefused as exc:
        return exc


WORKBOOK_IMPORTS = {
    "households": (household_run, HOUSEHOLD_HEADERS, (Household, Person)),
    "figures": (figure_run, FIGURE_HEADERS, (FigureUpload, ImportedFigure)),
}
SMALL_WORKBOOK = xlsx_bytes([Sheet("户", [list(HOUSEHOLD_HEADERS), ["330781102", "330781102201", "H1", "户主"]])])


@st.composite
def not_quite_workbooks(draw) -> bytes:
    """Binary garbage, an .xls renamed .xlsx, a workbook cut short or with a part replaced, a zip of junk."""
    kind = draw(st.sampled_from(["garbage", "xls", "truncated", "bad_part", "junk_zip", "empty"]))
    if kind == "garbage":
        return draw(st.binary(max_size=2000))
    if kind == "xls":
        return OLE2_MAGIC + draw(st.binary(min_size=8, max_size=600))
    if kind == "truncated":
        return SMALL_WORKBOOK[: draw(st.integers(0, len(SMALL_WORKBOOK) - 1))]
    if kind == "empty":
        return b""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "bad_part":
            parts = package_parts([Sheet("户", [list(HOUSEHOLD_HEADERS)])])
            victim = draw(st.sampled_from(sorted(parts)))
            parts[victim] = draw(
                st.one_of(st.binary(max_size=200), st.just(b"<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"))
            )
            for name, part in parts.items():
                archive.writestr(name, part)
        else:
            for name in draw(
                st.lists(st.sampled_from(["xl/workbook.xml", "a", "[Content_Types].xml"]), max_size=3, unique=True)
            ):
                archive.writestr(name, draw(st.binary(max_size=100)))
    return buffer.getvalue()


@FUZZ
@given(data=not_quite_workbooks(), which=st.sampled_from(sorted(WORKBOOK_IMPORTS)))
def test_what_is_not_a_workbook_is_refused_and_changes_nothing(world, tmp_path, data, which):
    run, _headers, models = WORKBOOK_IMPORTS[which]
    business_date_set(business_date=FIGURES_TODAY)
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    with rolled_back():
        before = counts(*models)
        answer = run(world, path)
        assert isinstance(answer, ImportRefused | FigureRefused), answer
        event(f"{which}: {answer.message[:30]}")
        with translation.override("zh-hans"):
            assert_clear(answer.message)
        assert counts(*models) == before


# ---------------------------------------------------------------- zip bombs, a million rows, a grid of 17 billion cells

GUARDED_PEAK_MB = 200


@pytest.mark.parametrize("which", sorted(WORKBOOK_IMPORTS))
@pytest.mark.parametrize(("part", "lie"), [("sheet", False), ("sheet", True), ("shared", True)])
def test_a_zip_bomb_is_refused_without_being_inflated(world, tmp_path, which, part, lie):
    """A workbook of a few megabytes whose sheet (or shared strings) XML inflates to 2 GB; ``lie``: its zip
    header says 4 KB. Refused in seconds, Python's peak allocation under 200 MB, nothing written."""
    run, headers, models = WORKBOOK_IMPORTS[which]
    business_date_set(business_date=FIGURES_TODAY)
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(workbook_with_bomb(headers, part, lie=lie))
    assert path.stat().st_size < 5 * 1024 * 1024
    before = counts(*models)
    started = time.monotonic()
    with peak_memory(GUARDED_PEAK_MB):
        answer = run(world, path)
    assert time.monotonic() - started < 20
    assert isinstance(answer, ImportRefused | FigureRefused), answer
    assert "MB" in answer.message or "rows" in answer.message or "行" in answer.message, answer.message
    assert counts(*models) == before


def sparse_grid(headers) -> bytes:
    """Two cells, A1 and XFD1048576: calamine would allocate the 17-billion-cell grid between them and abort
    the process (SIGABRT, no exception) — the web worker with it."""
    far = Cell("raw", '<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>')
    return xlsx_bytes([Sheet("户", [list(headers), *([[]] * 3), [far]])])


def wide_row_without_references(headers) -> bytes:
    """20,000 cells without r in one row and a row far below: the same abort, by another way."""
    sheet = Sheet("户", [list(headers), ["x"] * 20_000, *([[]] * 5000), ["y"]], with_refs=False)
    return xlsx_bytes([sheet])


@pytest.mark.parametrize("which", sorted(WORKBOOK_IMPORTS))
@pytest.mark.parametrize("make", [sparse_grid, wide_row_without_references])
def test_a_grid_calamine_cannot_hold_is_refused_before_it_opens_it(world, tmp_path, which, make):
    run, headers, models = WORKBOOK_IMPORTS[which]
    business_date_set(business_date=FIGURES_TODAY)
    path = tmp_path / "grid.xlsx"
    path.write_bytes(make(headers))
    with peak_memory(GUARDED_PEAK_MB):
        answer = run(world, path)
    assert isinstance(answer, ImportRefused | FigureRefused), answer
    assert counts(*models) == (0, 0)


@pytest.fixture(scope="module")
def million_row_workbooks(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("million")
    return {
        "households": million_rows(folder / "households.xlsx", HOUSEHOLD_HEADERS, columns=2),
        "figures": million_rows(folder / "figures.xlsx", FIGURE_HEADERS, rows=300_000, columns=1),
    }


@pytest.mark.parametrize("which", sorted(WORKBOOK_IMPORTS))
def test_a_million_rows_are_refused_by_the_row_limit_at_once(world, million_row_workbooks, which):
    """Each import means a bounded file (households: 100,000 persons, the benchmarked size; figures: 5,000
    rows): a million rows are refused by that limit while the sheet is scanned, before it is parsed. (The
    figures file is 300,000 rows: a million do not fit under its 5 MB, and are refused for that alone.)"""
    run, _headers, models = WORKBOOK_IMPORTS[which]
    business_date_set(business_date=FIGURES_TODAY)
    started = time.monotonic()
    with peak_memory(GUARDED_PEAK_MB):
        answer = run(world, million_row_workbooks[which])
    assert time.monotonic() - started < 10
    assert isinstance(answer, ImportRefused | FigureRefused), answer
    assert "rows" in answer.message or "行" in answer.message, answer.message
    assert counts(*models) == (0, 0)


# ---------------------------------------------------------------- through the API, the pages and the commands

HOSTILE = {
    "bomb": lambda headers: workbook_with_bomb(headers, "sheet", lie=True),
    "grid": sparse_grid,
    "xls": lambda headers: OLE2_MAGIC + bytes(2000),
    "truncated": lambda headers: SMALL_WORKBOOK[:300],
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_household_api_answers_400_and_keeps_nothing(world, api_client, kind, django_capture_on_commit_callbacks):
    client = api_client(world.users[roles.ACCOUNT_MANAGER])
    upload = SimpleUploadedFile("花名册.xlsx", HOSTILE[kind](HOUSEHOLD_HEADERS), content_type=XLSX_CONTENT_TYPE)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/api/v1/imports/households", {"file": upload})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_workbook" and error["message"]
    assert not callbacks and not JobRun.objects.exists()
    assert counts(Household, Person) == (0, 0)


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(world, api_client, settings):
    settings.PUHUI_IMPORT_MAX_BYTES = 1024
    client = api_client(world.users[roles.ACCOUNT_MANAGER])
    upload = SimpleUploadedFile("big.xlsx", SMALL_WORKBOOK + bytes(2048), content_type=XLSX_CONTENT_TYPE)
    response = client.post("/api/v1/imports/households", {"file": upload})
    assert response.status_code == 400 and "MB" in response.json()["error"]["message"]
    assert not JobRun.objects.exists()


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_upload_pages_show_the_refusal_and_keep_nothing(world, login, kind):
    business_date_set(business_date=FIGURES_TODAY)
    client = login(world.users[roles.HEAD_OFFICE])
    for url, headers, extra in (
        ("/imports/households/", HOUSEHOLD_HEADERS, {}),
        ("/kpi/figures/upload/", FIGURE_HEADERS, {"source_system": "core_banking"}),
    ):
        upload = SimpleUploadedFile("x.xlsx", HOSTILE[kind](headers), content_type=XLSX_CONTENT_TYPE)
        with translation.override("zh-hans"):
            response = client.post(url, {"file": upload, **extra}, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, url
        shown = [str(m) for m in response.context["messages"]]
        assert len(shown) == 1, url
        assert_clear(shown[0])
    assert counts(Household, Person, FigureUpload, ImportedFigure, JobRun) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_the_commands_refuse_with_a_message(world, people, tmp_path, kind):
    business_date_set(business_date=FIGURES_TODAY)
    before = counts(Household, Person, BureauRecord, FigureUpload)
    for command, headers, args in (
        ("import-households", HOUSEHOLD_HEADERS, []),
        ("import-figures", FIGURE_HEADERS, ["--source", "core_banking"]),
        ("import-bureau", BUREAU_HEADER, []),
    ):
        path = tmp_path / f"{command}.xlsx"
        path.write_bytes(HOSTILE[kind](headers))
        with pytest.raises(CommandError) as refused:
            call_command(command, str(path), *args, stdout=io.StringIO())
        assert str(refused.value).strip(), command
    assert counts(Household, Person, BureauRecord, FigureUpload) == before


def test_a_million_row_bureau_file_is_refused_by_its_row_limit(world, people, tmp_path):
    path = tmp_path / "征信.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(BUREAU_HEADER) + "\n")
        out.writelines(f"{HEAD_ID},2017-06-30,否,否,否,否,否,\n" for _ in range(1))
        out.writelines(",,,,,,,x\n" for _ in range(1_000_000))
    assert path.stat().st_size < 20 * 1024 * 1024
    started = time.monotonic()
    with peak_memory(GUARDED_PEAK_MB), pytest.raises(BureauFileRefused) as refused:
        bureau_csv_import(path=path, user=world.users[roles.HEAD_OFFICE], today=BUREAU_TODAY)
    assert time.monotonic() - started < 20
    assert "100000" in refused.value.message
    assert counts(BureauRecord) == (0,)


def test_a_bureau_file_of_commas_is_refused_before_it_is_split(world, people, tmp_path):
    """20 MB of commas would be 20 million cells (a list of 160 MB, twice): refused by the line length."""
    path = tmp_path / "征信.csv"
    path.write_bytes((",".join(BUREAU_HEADER) + "\n").encode() + b"," * (19 * 1024 * 1024))
    with peak_memory(GUARDED_PEAK_MB), pytest.raises(BureauFileRefused):
        bureau_csv_import(path=path, user=world.users[roles.HEAD_OFFICE], today=BUREAU_TODAY)


# ---------------------------------------------------------------- what the fuzzing found, pinned


def one_household(number: str = "H0100000") -> list[list]:
    rows = [r for r in valid_register(IN_TOWNSHIP[:1], households=3, seed=1).rows if r[2] == number]
    assert len(rows) >= 2
    return rows


def test_the_visible_sheet_is_imported_not_a_hidden_one_before_it(world, tmp_path):
    """Found: calamine's sheet 0 was read even when hidden — a stale register the officer cannot see."""
    rows = one_household()
    hidden = Sheet(
        "旧", [list(HOUSEHOLD_HEADERS), ["330781102", "330781102201", "STALE", "户主", "旧户主"]], hidden=True
    )
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([hidden, Sheet("花名册", [list(HOUSEHOLD_HEADERS), *rows])]))
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "e.xlsx")
    assert (result.imported_households, result.imported_persons) == (1, len(rows))
    assert list(Household.objects.values_list("number", flat=True)) == [rows[0][2]]


def test_a_household_number_merged_over_its_rows_imports_the_whole_household(world, tmp_path):
    """Found: a 户编号 merged over the members' rows (as officers lay out a register) reached only the first
    row; the head was imported alone and the others rejected — a household half imported."""
    rows, merged = merge_numbers([list(HOUSEHOLD_HEADERS), *one_household()])
    assert merged and rows[2][2] is None
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("花名册", rows, merged=merged)]))
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "e.xlsx")
    assert (result.imported_households, result.rejected_rows) == (1, 0)
    assert Household.objects.get().members.count() == len(rows) - 1


def test_a_control_character_in_a_rejected_row_is_written_back_as_excel_writes_it(world, tmp_path):
    """Found: openpyxl refuses control characters, so the error workbook of a row rejected for one (the
    reason itself) raised IllegalCharacterError after the good households were imported: the job failed."""
    rows = one_household()
    rows[1][4] = "张\x01三"
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("花名册", [list(HOUSEHOLD_HEADERS), *rows])]))
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "e.xlsx")
    assert (result.imported_households, result.rejected_households) == (0, 1)
    back = CalamineWorkbook.from_path(str(result.error_report)).get_sheet_by_index(0).to_python()
    assert back[2][4] == "张\x01三"  # uploaded again as it is, the same row and the same reason


@pytest.mark.parametrize(("column", "text"), [(2, "H\x0001"), (7, "务\x00农"), (7, "务\t农")])
def test_a_control_character_in_a_stored_text_refuses_its_household(world, tmp_path, column, text):
    """Found on PostgreSQL: a NUL in 户编号 or 职业 (no rule checked them) failed the insert of the whole chunk
    with a DataError — an uncaught exception in the job; SQLite stored it."""
    rows = one_household()
    for row in rows:
        row[column] = text if column == 2 else row[column]
    rows[0][column] = text
    path = tmp_path / "r.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("花名册", [list(HOUSEHOLD_HEADERS), *rows])]))
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "e.xlsx")
    assert (result.imported_households, result.rejected_households) == (0, 1)
    assert counts(Household, Person) == (0, 0)


def test_a_nul_in_a_figure_row_is_kept_as_the_file_wrote_it(world, tmp_path):
    """Found on PostgreSQL: a NUL in a cell (the refused row's cells are kept as JSON) or in 备注 raised a
    DataError — a 500 on the upload page. The cell keeps the file's own spelling, _x0000_."""
    business_date_set(business_date=FIGURES_TODAY)
    rows = [
        ["DK1", "", "全市", "2026-10-31", 1000, "", "备\x00注"],
        ["D\x00K1", "", "全市", "2026-10-31", 1000, "", ""],
    ]
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("月度", [list(FIGURE_HEADERS), *rows])]))
    result = figure_upload(
        path=path, file_name="f\x00.xlsx", source_system="core_banking", user=world.users[roles.HEAD_OFFICE]
    )
    assert (result.applied, result.rejected) == (1, 1)
    assert ImportedFigure.objects.get().note == "备_x0000_注"
    assert result.upload.errors[0]["cells"][0] == "D_x0000_K1"


# ---------------------------------------------------------------- the service-point register (kpi.service_points)

SERVICE_VILLAGES = ["330781102201", "330781102202", "330781101201", "330781102999", "33078110220", ""]


def without_nul(cell) -> bool:
    texts = (cell.value, cell.cached) if isinstance(cell, Cell) else (cell,)
    return not any(isinstance(text, str) and "\x00" in text for text in texts)


service_rows = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(SERVICE_VILLAGES),
            st.sampled_from([330781102201, 330781102201.0]),
            any_cell.filter(without_nul),  # a NUL here: test_a_nul_in_a_service_point_village_code_is_refused
        ),
        st.one_of(st.sampled_from(["ATM", "POS", "助农终端", "网点", "pos", "柜员机", ""]), any_cell),
        st.one_of(st.sampled_from(["诸葛村ATM", "长乐点", "名\t称", "x" * 101]), weird_text),
        st.one_of(figure_periods, any_cell),
        st.one_of(st.none(), figure_periods),
    ).map(list),
    min_size=1,
    max_size=8,
)


@st.composite
def service_point_files(draw) -> tuple[str, list[Sheet]]:
    rows = draw(mutated(draw(service_rows), max_changes=2))
    rows = [[c if i or without_nul(c) else "" for i, c in enumerate(r)] for r in rows]
    kind, header = draw(headers_variant(SERVICE_HEADERS)) if draw(one_in(3)) else ("exact", SERVICE_HEADERS)
    return kind, draw(workbook_layout(header, rows))


@FUZZ
@given(case=service_point_files())
def test_service_point_import_fuzzed(world, tmp_path, case):
    kind, sheets = case
    path = tmp_path / "服务点.xlsx"
    path.write_bytes(xlsx_bytes(sheets))
    with rolled_back():
        before = counts(ServicePoint)
        try:
            result = service_points_import(user=world.users[roles.HEAD_OFFICE], path=path)
        except ServicePointImportRefused as exc:
            event(f"refused: {exc.message[:40]}")
            with translation.override("zh-hans"):
                assert_clear(exc.message)
            assert counts(ServicePoint) == before
            return
        assert kind == "exact", "a file with other headers must be refused"
        event(f"imported {min(result.created, 1)}, rejected {min(len(result.rejected), 1)}")
        assert result.created + result.updated + result.unchanged + len(result.rejected) == result.rows
        assert counts(ServicePoint) == (before[0] + result.created,)
        assert all(row["errors"] for row in result.rejected)


@pytest.mark.parametrize("data", [b"", OLE2_MAGIC + bytes(600), SMALL_WORKBOOK[:300], b"PK\x03\x04" + bytes(100)])
def test_a_service_point_file_that_is_no_workbook_is_refused(world, tmp_path, data):
    path = tmp_path / "x.xlsx"
    path.write_bytes(data)
    with pytest.raises(ServicePointImportRefused) as refused:
        service_points_import(user=world.users[roles.HEAD_OFFICE], path=path)
    assert_clear(refused.value.message)
    assert counts(ServicePoint) == (0,)


def test_a_nul_in_a_service_point_village_code_is_refused(world, tmp_path):
    rows = [
        list(SERVICE_HEADERS),
        ["330781102201", "ATM", "诸葛村ATM", "2026-10-31"],
        ["33078\x00", "ATM", "x", "2026-10-31"],
    ]
    path = tmp_path / "x.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("服务点", rows)]))
    result = service_points_import(user=world.users[roles.HEAD_OFFICE], path=path)
    assert (result.created, len(result.rejected)) == (1, 1)


PROBE = """
import sys
from pathlib import Path
import django
django.setup()
from puhui.kpi import service_points as sp
class Officer:
    pk = 0
    def has_role(self, *roles):
        return True
try:
    sp.service_points_import(user=Officer(), path=Path(sys.argv[1]))
except sp.ServicePointImportRefused:
    import resource
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)  # MB
    sys.exit(3)
"""


@pytest.mark.parametrize("make", [sparse_grid, wide_row_without_references, "bomb"])
def test_a_service_point_file_calamine_cannot_hold_is_refused(tmp_path, make):
    """Run in a child process with its address space capped: unguarded, calamine aborts it (SIGABRT), or holds
    the gigabyte string."""
    path = tmp_path / "grid.xlsx"
    if make == "bomb":
        path.write_bytes(workbook_with_bomb(SERVICE_HEADERS, "shared", lie=False, gigabytes=1))
    else:
        path.write_bytes(make(SERVICE_HEADERS))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "puhui.settings_test", "PUHUI_VAR_DIR": str(tmp_path)}
    cap = 1024 * 1024 * 1024 * 3

    def limit_memory():  # runs in the child before Python starts
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    child = subprocess.run(  # noqa: S603 — fixed argv: this interpreter and a constant script
        [sys.executable, "-c", PROBE, str(path)],
        env=env,
        capture_output=True,
        timeout=120,
        preexec_fn=limit_memory,  # noqa: PLW1509 — no threads started before the fork here
    )
    assert child.returncode == 3, child.stderr.decode(errors="replace")[-500:]
    assert int(child.stdout.split()[-1]) < GUARDED_PEAK_MB + 150  # the interpreter and Django take ~100 MB


def test_the_figure_error_workbook_downloads_with_a_control_character_in_a_cell(world, login, tmp_path):
    """Found with the household error workbook: openpyxl refuses control characters, so the download of the
    refused rows (kept as JSON, written on request) was a 500 for a row refused for holding one."""
    business_date_set(business_date=FIGURES_TODAY)
    rows = [["D\x01K1", "", "全市", "2026-10-31", 1000, "", ""]]
    path = tmp_path / "f.xlsx"
    path.write_bytes(xlsx_bytes([Sheet("月度", [list(FIGURE_HEADERS), *rows])]))
    client = login(world.users[roles.HEAD_OFFICE])
    upload = SimpleUploadedFile("f.xlsx", path.read_bytes(), content_type=XLSX_CONTENT_TYPE)
    response = client.post("/kpi/figures/upload/", {"file": upload, "source_system": "core_banking"})
    assert response.status_code == 302
    saved = FigureUpload.objects.get()
    download = client.get(f"/kpi/figures/uploads/{saved.pk}/errors.xlsx")
    assert download.status_code == 200
    back = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(download.streaming_content)))
    assert back.get_sheet_by_index(0).to_python()[1][0] == "D\x01K1"
