"""Imported figures (DOMAIN §6): templates per source, the file checks, all-or-nothing good rows, supersession,
scope, manual entry and the command."""

import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, connections
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from puhui.core.services import business_date_set
from puhui.kpi import figure_workbook as wb
from puhui.kpi.figure_selectors import figure_history, source_indicators
from puhui.kpi.figures import (
    FILE_MESSAGES,
    FigureRefused,
    figure_enter,
    figure_upload,
    file_sha256,
    problem_text,
    template_texts,
)
from puhui.kpi.models import FigureUpload, ImportedFigure, Indicator
from puhui.org import roles
from tests.kpi.figure_files import D, figure_workbook, row

TODAY = D(2026, 11, 26)
OCTOBER_END = D(2026, 10, 31)


@pytest.fixture
def dated(world):
    business_date_set(business_date=TODAY)
    return world


def upload(path, user, source=wb.CORE_BANKING):
    return figure_upload(path=path, file_name=path.name, source_system=source, user=user)


def current(code, scope="city", period=OCTOBER_END):
    return ImportedFigure.objects.get(
        indicator__code=code, scope=scope, period=period, superseded_by__isnull=True
    ).value


# ---------------------------------------------------------------- templates


@pytest.mark.django_db
def test_every_imported_indicator_belongs_to_exactly_one_template():
    expected = {
        wb.CORE_BANKING: ["DK1", "DK2", "DK3", "DK4", "DK4C", "DK5", "DK5C", "DK6", "DK6C", "DK7", "DK8", "DK9", "JC2"],
        wb.CHANNELS: ["QD1", "QD3", "QD4", "QD5"],
        wb.SOCIAL_SECURITY: ["SB1", "SB2", "SB3"],
    }
    assert {s: [f.code for f in source_indicators(s)] for s in wb.FILE_SOURCES} == expected
    imported = Indicator.objects.exclude(source="internal").values_list("code", flat=True)
    assert sorted(imported) == sorted(code for codes in expected.values() for code in codes)


@pytest.mark.django_db
@pytest.mark.parametrize("source", wb.FILE_SOURCES)
def test_the_template_is_prefilled_formatted_and_reads_back(source, tmp_path):
    path = tmp_path / "t.xlsx"
    with path.open("wb") as stream:
        wb.template_write(stream, indicators=source_indicators(source), texts=template_texts())
    sheet = load_workbook(path).worksheets[0]
    assert tuple(c.value for c in sheet[1]) == wb.HEADERS
    body = list(sheet.iter_rows(min_row=2, max_row=1 + len(source_indicators(source))))
    assert [r[0].value for r in body] == [f.code for f in source_indicators(source)]
    for cells, facts in zip(body, source_indicators(source), strict=True):
        assert cells[2].value == "全市"
        assert (cells[4].number_format == "0.00%") == (facts.unit == "percent")
        assert ("平台以外" in cells[5].value) == (facts.source == "internal+imported")  # zh-hans, the default
    assert sheet["C300"].number_format == "@"  # a township code keeps its digits in rows the clerk adds
    # the template as downloaded, with no value typed yet, is refused as a whole (no figures), not applied
    assert wb.rows_parse(wb.sheet_rows_read(path), wb.formula_cells(path)) == []


# ---------------------------------------------------------------- a file with good and bad rows


BAD_ROWS = {
    # code → (row, expected problem code)
    "unknown": (row("XX9", "全市", "2026-10-31", 5), "code_unknown"),
    "other source": (row("QD3", "全市", "2026-10-31", 5), "other_source"),
    "internal": (row("ZC1", "全市", "2026-10-31", 0.5), "internal_only"),
    "bad scope": (row("DK2", "某某镇", "2026-10-31", 5), "scope_unknown"),
    "scope level": (row("DK2", "330781102", "2026-10-31", 5), "scope_level"),
    "city-only": (row("JC2", "LX07", "2026-10-31", 5), "scope_level"),
    "bad date": (row("DK2", "全市", "2026-02-30", 5), "bad_date"),
    "date as number": (row("DK2", "全市", 46000, 5), "bad_date"),
    "future date": (row("DK2", "全市", "2026-12-31", 5), "date_after_business_date"),
    "no date": (row("DK2", "LX06", None, 5), "date_missing"),
    "not a number": (row("DK2", "LX06", "2026-10-31", "约九十五亿"), "not_number"),
    "negative": (row("DK6", "全市", "2026-10-31", -1), "negative"),
    "yuan cents": (row("DK5", "全市", "2026-10-31", "12.345"), "yuan_places"),
    "count fraction": (row("DK4C", "全市", "2026-10-31", 12.5), "whole_number"),
    "formula": (row("DK7", "全市", "2026-10-31", "=1+1"), "formula"),
    "no code": (row(None, "全市", "2026-10-31", 5), "code_missing"),
    "long note": (row("DK8", "全市", "2026-10-31", 5, "注" * 201), "note_too_long"),
}
GOOD_ROWS = [
    row("DK1", "全市", "2026-10-31", 300_000_000),
    row("DK2", "全市", D(2026, 10, 31), "9,612,345,678.90"),
    row("DK2", "LX07", "2026/10/31", 1_200_000_000.5),
    row("DK4C", "branch:LX06", "2026-10-31", "18500"),
    row("JC2", "city", "2026-09-30", 45_000_000, "累计"),
]


def test_good_rows_apply_bad_rows_are_listed_with_every_reason(dated, tmp_path):
    rows = GOOD_ROWS[:2] + [bad for bad, _code in BAD_ROWS.values()] + GOOD_ROWS[2:]
    rows.append(row("DK1", "全市", "2026-10-31", 1))  # the same key as the first row
    path = figure_workbook(tmp_path / "核心系统2026年10月.xlsx", rows)
    head = dated.users[roles.HEAD_OFFICE]

    result = upload(path, head)

    assert (result.applied, result.unchanged, result.rejected) == (5, 0, len(BAD_ROWS) + 1)
    assert ImportedFigure.objects.count() == 5
    assert current("DK1") == Decimal("300000000")
    assert current("DK2") == Decimal("9612345678.90")
    assert current("DK2", "branch:LX07") == Decimal("1200000000.5")
    assert current("DK4C", "branch:LX06") == 18500
    assert current("JC2", period=D(2026, 9, 30)) == 45_000_000
    saved = FigureUpload.objects.get()
    assert (saved.file_name, saved.uploaded_by, saved.file_sha256) == (path.name, head, file_sha256(path))
    assert (saved.rows_total, saved.rows_applied, saved.rows_rejected) == (len(rows), 5, len(BAD_ROWS) + 1)
    problems = {e["line"]: [code for code, _params in e["problems"]] for e in saved.errors}
    for offset, (_name, (_bad, code)) in enumerate(BAD_ROWS.items()):
        assert code in problems[offset + 4], (_name, problems[offset + 4])
    assert problems[len(rows) + 1] == ["duplicate"]
    assert all(f.upload == saved and f.entered_by == head for f in ImportedFigure.objects.all())


def test_every_row_problem_reads_as_a_sentence(dated, tmp_path):
    path = figure_workbook(tmp_path / "f.xlsx", [bad for bad, _code in BAD_ROWS.values()])
    result = upload(path, dated.users[roles.HEAD_OFFICE])  # no good row at all: recorded, not refused whole
    assert (result.applied, result.rejected) == (0, len(BAD_ROWS))
    for error in result.upload.errors:
        for code, params in error["problems"]:
            text = problem_text(code, params)
            assert text and "%(" not in text and "Invalid value" not in text, (code, text)
    other = next(e for e in result.upload.errors if e["problems"][0][0] == "other_source")
    assert "渠道" in problem_text(*other["problems"][0]) or "channels" in problem_text(*other["problems"][0])


def test_nothing_is_half_applied_when_the_write_fails(dated, tmp_path, monkeypatch):
    head = dated.users[roles.HEAD_OFFICE]
    upload(figure_workbook(tmp_path / "a.xlsx", [row("DK1", "全市", "2026-10-31", 100)]), head)
    rows = [row("DK1", "全市", "2026-10-31", 200), row("DK2", "全市", "2026-10-31", 300)]

    def broken(*args, **kwargs):
        raise IntegrityError("someone else wrote the same figure")

    monkeypatch.setattr(ImportedFigure.objects, "bulk_update", broken)
    with pytest.raises(FigureRefused) as refused:
        upload(figure_workbook(tmp_path / "b.xlsx", rows), head)
    assert refused.value.code == "concurrent"
    assert FigureUpload.objects.count() == 1
    assert ImportedFigure.objects.count() == 1
    assert current("DK1") == 100  # still current, not pointing to itself


def test_the_same_file_twice_applies_nothing_new(dated, tmp_path):
    head = dated.users[roles.HEAD_OFFICE]
    path = figure_workbook(tmp_path / "f.xlsx", GOOD_ROWS)
    upload(path, head)
    again = upload(path, head)
    assert (again.applied, again.unchanged, again.rejected) == (0, len(GOOD_ROWS), 0)
    assert ImportedFigure.objects.count() == len(GOOD_ROWS)
    assert FigureUpload.objects.count() == 2  # the attempt itself is on record


def test_a_correction_supersedes_and_the_old_value_stays_in_the_history(dated, tmp_path):
    head = dated.users[roles.HEAD_OFFICE]
    first = upload(figure_workbook(tmp_path / "v1.xlsx", GOOD_ROWS[:2]), head).upload
    corrected = [row("DK1", "全市", "2026-10-31", 310_000_000, "更正"), GOOD_ROWS[1]]
    second = upload(figure_workbook(tmp_path / "v2.xlsx", corrected), head)
    assert (second.applied, second.unchanged) == (1, 1)
    assert current("DK1") == 310_000_000
    indicator, versions = figure_history(user=head, indicator_code="DK1", scope="city")
    assert [(v.value, v.upload_id, v.note) for v in versions] == [
        (Decimal("310000000"), second.upload.pk, "更正"),
        (Decimal("300000000"), first.pk, ""),
    ]
    assert versions[1].superseded_by == versions[0] and versions[0].superseded_by is None
    # a third value supersedes the second; the first still points to the second
    upload(figure_workbook(tmp_path / "v3.xlsx", [row("DK1", "全市", "2026-10-31", 320_000_000)]), head)
    chain = list(ImportedFigure.objects.filter(indicator=indicator).order_by("pk"))
    assert [f.superseded_by_id for f in chain] == [chain[1].pk, chain[2].pk, None]


def test_a_branch_manager_uploads_for_own_branch_and_townships_only(dated, tmp_path):
    manager = dated.users[roles.BRANCH_MANAGER]
    township = Indicator.objects.get(code="DK2")
    township.scopes = [*township.scopes, "township"]
    township.save()
    rows = [
        row("DK2", "LX07", "2026-10-31", 10),  # own branch
        row("DK2", "330781102", "2026-10-31", 11),  # own township
        row("DK2", "LX06", "2026-10-31", 12),  # another branch
        row("DK2", "330781101", "2026-10-31", 13),  # another branch's township
        row("DK2", "全市", "2026-10-31", 14),  # the city
    ]
    result = upload(figure_workbook(tmp_path / "f.xlsx", rows), manager)
    assert (result.applied, result.rejected) == (2, 3)
    assert sorted(ImportedFigure.objects.values_list("scope", flat=True)) == ["branch:LX07", "township:330781102"]
    assert {e["problems"][0][0] for e in result.upload.errors} == {"scope_outside"}


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.ACCOUNT_MANAGER, roles.LIAISON])
def test_other_roles_may_not_upload_or_enter(dated, tmp_path, role):
    path = figure_workbook(tmp_path / "f.xlsx", GOOD_ROWS)
    with pytest.raises(FigureRefused) as refused:
        upload(path, dated.users[role])
    assert refused.value.code == "not_allowed" and refused.value.message
    with pytest.raises(FigureRefused):
        figure_enter(user=dated.users[role], indicator_code="DK1", scope="city", period=D(2026, 10, 31), value=1)
    assert not FigureUpload.objects.exists()


def _bad_files(tmp_path):
    text = tmp_path / "notes.xlsx"
    text.write_text("指标代码,数值\nDK1,5\n", encoding="utf-8")
    old_excel = tmp_path / "old.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    other_zip = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    broken_zip = tmp_path / "broken.xlsx"
    broken_zip.write_bytes(b"PK\x03\x04" + b"garbage" * 20)
    empty = tmp_path / "empty.xlsx"
    figure_workbook(empty, [])
    headers = figure_workbook(tmp_path / "headers.xlsx", [row("DK1", "全市", "2026-10-31", 5)], headers=("代码", "值"))
    blank_values = figure_workbook(tmp_path / "blank.xlsx", [row("DK1", "全市", "2026-10-31", None)])
    zero = tmp_path / "zero.xlsx"
    zero.write_bytes(b"")
    return {
        text: "file_not_xlsx",
        old_excel: "file_not_xlsx",
        other_zip: "file_not_xlsx",
        broken_zip: "file_not_xlsx",
        zero: "file_not_xlsx",
        empty: "file_empty",
        headers: "file_headers",
        blank_values: "file_no_values",
    }


def test_an_unusable_file_is_refused_whole_with_a_message(dated, tmp_path):
    for path, code in _bad_files(tmp_path).items():
        with pytest.raises(FigureRefused) as refused:
            upload(path, dated.users[roles.HEAD_OFFICE])
        assert refused.value.code == code, path.name
        message = refused.value.message
        assert message and "%(" not in message
        assert message.startswith(str(FILE_MESSAGES[code[5:]])[:10])
    assert not FigureUpload.objects.exists() and not ImportedFigure.objects.exists()


def test_a_dtd_in_the_sheet_does_not_reach_the_parser(tmp_path):
    path = figure_workbook(tmp_path / "f.xlsx", [row("DK1", "全市", "2026-10-31", "=1+1")])
    assert wb.formula_cells(path) == {(2, wb.VALUE)}
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(evil, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            target.writestr(item, data)
    assert wb.formula_cells(evil) == set()  # no formula found, and no entity expanded


def test_percent_rows_of_the_channels_file(dated, tmp_path):
    rows = [
        row("QD1", "全市", "2026-10-31", 0.853),  # a percent-formatted cell where 85.3 was typed
        row("QD5", "全市", "2026-10-31", "40.5%"),
        row("SB1", "全市", "2026-10-31", 0.9),  # social-security card indicator: another template
        row("QD1", "LX07", "2026-10-31", 85.3),  # percentage points in a plain cell: refused, not 8530 %
        row("QD1", "LX06", "2026-10-31", "85.355%"),
    ]
    result = upload(
        figure_workbook(tmp_path / "f.xlsx", rows, percent_cells=(0,)), dated.users[roles.HEAD_OFFICE], wb.CHANNELS
    )
    assert (result.applied, result.rejected) == (2, 3)
    assert (current("QD1"), current("QD5")) == (Decimal("0.853"), Decimal("0.405"))
    assert [e["problems"][0][0] for e in result.upload.errors] == ["other_source", "percent_range", "percent_places"]
    assert "8530" in problem_text(*result.upload.errors[1]["problems"][0])


# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("cell", "unit", "stored"),
    [
        (0.853, "percent", Decimal("0.853")),  # a percent-formatted cell holding 85.3 %
        ("85.3%", "percent", Decimal("0.853")),
        ("85.3％", "percent", Decimal("0.853")),
        ("0.853", "percent", Decimal("0.853")),
        (1, "percent", Decimal(1)),
        (0.1 + 0.2, "yuan", Decimal("0.30000000000000004")),  # its shortest repr, then refused for places
        ("1,234,567.89", "yuan", Decimal("1234567.89")),
        (20000, "households", Decimal(20000)),
    ],
)
def test_values_are_read_without_float_arithmetic(cell, unit, stored):
    parsed = wb.FigureRow(line=2, raw=())
    assert wb._value_cell_parse(parsed, cell) == stored
    assert not parsed.problems


@pytest.mark.parametrize("cell", [True, "abc", "1.2.3", "NaN", "Infinity", float("nan"), "1e5", "", D(2026, 1, 1)])
def test_no_number_is_not_a_number(cell):
    parsed = wb.FigureRow(line=2, raw=())
    assert wb._value_cell_parse(parsed, cell) is None
    assert parsed.problems == [("not_number", {})]


@given(st.decimals(min_value=0, max_value=1, places=4))
def test_every_fraction_with_four_places_is_a_valid_percent(value):
    assert wb.value_problem(value, "percent") is None
    assert wb.value_problem(value + Decimal("1.0001"), "percent")[0] == "percent_range"


@given(st.integers(min_value=0, max_value=10**13))
def test_whole_counts_and_yuan_are_accepted(number):
    for unit in ("yuan", "households", "count", "villages"):
        assert wb.value_problem(Decimal(number), unit) is None
    assert wb.value_problem(Decimal(number) + Decimal("0.5"), "households") == ("whole_number", {})
    assert wb.value_problem(-Decimal(number) - 1, "yuan") == ("negative", {})


# ---------------------------------------------------------------- manual entry


def test_manual_entry_checks_and_supersedes_like_a_file_row(dated, tmp_path):
    head = dated.users[roles.HEAD_OFFICE]
    upload(figure_workbook(tmp_path / "f.xlsx", [row("QD1", "全市", "2026-10-31", 0.78)]), head, wb.CHANNELS)
    period = D(2026, 10, 31)
    assert figure_enter(user=head, indicator_code="QD1", scope="全市", period=period, value=Decimal("0.78")) is None
    figure = figure_enter(
        user=head, indicator_code="qd1", scope="city", period=period, value=Decimal("0.81"), note="更正"
    )
    assert figure.source_system == "manual" and figure.upload is None and figure.entered_by == head
    assert current("QD1") == Decimal("0.81")
    assert ImportedFigure.objects.filter(indicator__code="QD1").count() == 2
    refusals = [
        (dict(indicator_code="ZC2"), "internal_only"),
        (dict(value=Decimal("1.2")), "percent_range"),
        (dict(scope="LX99"), "scope_unknown"),
        (dict(period=D(2027, 1, 31)), "date_after_business_date"),
        (dict(indicator_code="NOPE"), "code_unknown"),
    ]
    for change, code in refusals:
        arguments = dict(user=head, indicator_code="QD1", scope="city", period=period, value=Decimal("0.5"))
        with pytest.raises(FigureRefused) as refused:
            figure_enter(**(arguments | change))
        assert refused.value.code == code and "%(" not in refused.value.message
    assert current("QD1") == Decimal("0.81")


def test_a_branch_manager_enters_only_own_scope(dated):
    manager = dated.users[roles.BRANCH_MANAGER]
    period = D(2026, 10, 31)
    assert figure_enter(user=manager, indicator_code="QD3", scope="LX07", period=period, value=Decimal(4100))
    for scope in ("city", "LX06", "branch:LX06"):
        with pytest.raises(FigureRefused) as refused:
            figure_enter(user=manager, indicator_code="QD3", scope=scope, period=period, value=Decimal(1))
        assert refused.value.code == "scope_outside"


# ---------------------------------------------------------------- the command


def test_the_command_prints_the_result_and_writes_the_error_workbook(dated, tmp_path):
    path = figure_workbook(tmp_path / "f.xlsx", [*GOOD_ROWS, BAD_ROWS["negative"][0]])
    out = io.StringIO()
    call_command("import-figures", str(path), "--source", "core_banking", stdout=out)
    text = out.getvalue()
    assert "applied:        5" in text and "refused:        1" in text and "第7行" in text
    errors = load_workbook(tmp_path / "f-错误行.xlsx").worksheets[0]
    assert [c.value for c in errors[2]][:5] == ["DK6", None, "全市", "2026-10-31", "-1"]
    assert errors[2][7].value == problem_text("negative", {})
    out = io.StringIO()
    call_command("import-figures", str(path), "--source", "core_banking", stdout=out)
    assert "applied:        0" in out.getvalue() and "unchanged:      5" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("import-figures", str(tmp_path / "missing.xlsx"), "--source", "channels")
    with pytest.raises(CommandError):
        call_command("import-figures", str(path), "--source", "channels", "--user", "nobody")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks under real concurrency: PostgreSQL")
def test_concurrent_corrections_keep_one_current_figure_and_an_unbroken_chain(world):
    """20 entries of different values for the same figure at once: each applies whole or is refused whole,
    one row stays current and every other one points to a later version."""
    business_date_set(business_date=TODAY)
    head = world.users[roles.HEAD_OFFICE]
    figure_enter(user=head, indicator_code="DK2", scope="city", period=OCTOBER_END, value=Decimal(1))

    def enter(value):
        try:
            figure_enter(user=head, indicator_code="DK2", scope="city", period=OCTOBER_END, value=Decimal(value))
            return 1
        except FigureRefused as refused:
            assert refused.code == "concurrent"
            return 0
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        applied = sum(pool.map(enter, range(2, 22)))
    figures = {f.pk: f for f in ImportedFigure.objects.all()}
    assert applied == 20 and len(figures) == 21  # writers take turns: none is refused
    current_rows = [f for f in figures.values() if f.superseded_by_id is None]
    assert len(current_rows) == 1
    for figure in figures.values():
        if figure.superseded_by_id is not None:
            assert figure.superseded_by_id in figures and figure.superseded_by_id > figure.pk


def test_an_upload_costs_a_few_queries_whatever_its_rows(dated, tmp_path):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    manager = dated.users[roles.BRANCH_MANAGER]

    def rows(n, value):
        periods = [D(2000 + i // 12, 1 + i % 12, 28) for i in range(n)]
        return [row("DK2", "LX07", p.isoformat(), value) for p in periods] + [row("DK2", "LX06", "2026-10-31", 1)]

    counts = []
    for n in (10, 300):
        for value in (5, 6):  # first the new figures, then a correction of each
            path = figure_workbook(tmp_path / f"{n}-{value}.xlsx", rows(n, value))
            with CaptureQueriesContext(db) as queries:
                result = upload(path, manager)
            assert (result.applied, result.rejected) == (n, 1)
            counts.append(len(queries))
    # set-based: 290 more rows cost only SQLite's insert batches (its 999-parameter limit), not a query a row
    assert counts[2] - counts[0] <= 5 and counts[3] - counts[1] <= 5, counts
