"""DOMAIN §8 import: household-atomic, every broken kind, error workbook, idempotent, whole-file refusals."""

from pathlib import Path

import pytest
from django.db import connection
from openpyxl import load_workbook

from puhui.core.pii_store import blind_index
from puhui.households.import_messages import ImportRefused
from puhui.households.importing import household_import
from puhui.households.models import Household, Person
from puhui.households.register import HEADERS
from puhui.households.services import ID_INDEX
from puhui.org import roles
from tests.households.register_factory import BROKEN_KINDS, break_rows, valid_register

IN_TOWNSHIP = [("330781102", "330781102201"), ("330781102", "330781102202")]
OTHER_TOWNSHIP_VILLAGE = ("330781101", "330781101201")


@pytest.fixture
def broken_register(tmp_path):
    register = valid_register(IN_TOWNSHIP, households=300)
    kinds = break_rows(register, OTHER_TOWNSHIP_VILLAGE)
    return register, kinds, register.save(tmp_path / "register.xlsx")


def counts() -> tuple[int, int]:
    return Household.objects.count(), Person.objects.count()


def test_imports_exactly_the_good_households(world, broken_register, tmp_path):
    register, kinds, path = broken_register
    assert 900 <= len(register.rows) <= 1100
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "errors.xlsx")

    good_rows = [r for r in register.rows if r[2] not in register.broken]
    assert result.rejected_households == len(BROKEN_KINDS)
    assert result.rejected_rows == len(BROKEN_KINDS)
    assert result.imported_households == 300 - len(BROKEN_KINDS)
    assert result.imported_persons == len(good_rows)
    assert counts() == (300 - len(BROKEN_KINDS), len(good_rows))
    imported_numbers = set(Household.objects.values_list("number", flat=True))
    assert imported_numbers.isdisjoint(register.broken)
    # a broken household is imported not at all: none of its members exists
    for number in register.broken:
        for row in register.household_rows(number):
            if len(row[5]) == 18 and row[5] not in {r[5] for r in good_rows}:
                assert not Person.objects.filter(id_index=blind_index(row[5].upper(), purpose=ID_INDEX)).exists()


def test_error_workbook_holds_the_rejected_households_with_reasons(world, broken_register, tmp_path):
    register, kinds, path = broken_register
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "errors.xlsx")
    sheet = load_workbook(result.error_report).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [*HEADERS, "错误原因"]
    expected = [r for r in register.rows if r[2] in register.broken]
    assert len(rows) - 1 == len(expected)
    by_key = {(r[2], r[5], r[4]): r for r in rows[1:]}
    bad_reasons = [r[-1] for r in rows[1:] if r[-1] != "同户其他成员有误"]
    assert len(bad_reasons) == len(BROKEN_KINDS)
    assert all(reason for reason in bad_reasons)
    for original in expected:
        written = by_key[(original[2], original[5], original[4])]
        assert [("" if c is None else c) for c in written[:12]] == [("" if c is None else c) for c in original]


@pytest.mark.parametrize(
    ("kind", "reason_part"),
    [
        ("bad_checksum", "校验位"),
        ("impossible_birth_date", "出生日期"),
        ("bad_phone", "手机号"),
        ("negative_money", "负数"),
        ("non_numeric_money", "纯数字"),
        ("two_heads", "户主"),
        ("unknown_village", "不存在"),
        ("village_of_another_township", "乡镇"),
        ("duplicate_id_in_file", "重复"),
        ("control_characters", "控制字符"),
    ],
)
def test_each_broken_kind_has_a_chinese_reason(world, broken_register, tmp_path, kind, reason_part):
    register, kinds, path = broken_register
    result = household_import(path=path, user=world.users[roles.HEAD_OFFICE], error_path=tmp_path / "errors.xlsx")
    rows = list(load_workbook(result.error_report).active.iter_rows(values_only=True))[1:]
    reasons = [r[-1] for r in rows if r[2] == kinds[kind] and r[-1] != "同户其他成员有误"]
    assert len(reasons) == 1
    assert reason_part in reasons[0], reasons[0]


def test_importing_again_adds_nothing(world, broken_register, tmp_path):
    _, _, path = broken_register
    head = world.users[roles.HEAD_OFFICE]
    first = household_import(path=path, user=head, error_path=tmp_path / "e1.xlsx")
    before = counts()
    second = household_import(path=path, user=head, error_path=tmp_path / "e2.xlsx")
    assert counts() == before
    assert (second.imported_households, second.rejected_households) == (
        first.imported_households,
        first.rejected_households,
    )


def test_the_database_holds_ciphertext(world, tmp_path):
    register = valid_register(IN_TOWNSHIP, households=3)
    household_import(path=register.save(tmp_path / "r.xlsx"), user=world.users[roles.HEAD_OFFICE])
    id_number, phone = register.rows[0][5], register.rows[0][6]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_masked FROM households_person")
        raw = cursor.fetchall()
    assert all(row[0].startswith("v1:") for row in raw)
    flat = " ".join(str(v) for row in raw for v in row)
    assert id_number not in flat and phone not in flat
    person = Person.objects.get(id_index=blind_index(id_number, purpose=ID_INDEX))
    assert person.id_number == id_number and person.id_masked == id_number[:4] + "*" * 10 + id_number[-4:]


def test_account_manager_cannot_import_outside_own_grids(world, tmp_path):
    register = valid_register([("330781102", "330781102201"), ("330781102", "330781102202")], households=4)
    result = household_import(path=register.save(tmp_path / "r.xlsx"), user=world.users[roles.ACCOUNT_MANAGER])
    assert result.imported_households == 2  # only village_mine is the manager's
    assert set(Household.objects.values_list("village__code", flat=True)) == {"330781102201"}
    assert Household.objects.get(number=register.rows[0][2]).grid == world.grid_mine


def test_id_of_a_person_in_another_household_is_refused(world, tmp_path):
    head = world.users[roles.HEAD_OFFICE]
    first = valid_register(IN_TOWNSHIP, households=2, seed=1)
    household_import(path=first.save(tmp_path / "a.xlsx"), user=head)
    second = valid_register(IN_TOWNSHIP, households=2, seed=2)
    second.rows[-1][5] = first.rows[0][5]
    result = household_import(path=second.save(tmp_path / "b.xlsx"), user=head)
    assert (result.imported_households, result.rejected_households, result.rejected_rows) == (1, 1, 1)


def _write(path: Path, rows: list[list]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.mark.parametrize(
    ("make", "message_part"),
    [
        (lambda p: p.write_bytes(b"name,id\n") and p, "Excel"),
        (lambda p: p.write_bytes(b"PK\x03\x04 broken zip") and p, "Excel"),
        (lambda p: _write(p, [["姓名", "身份证号"], ["张三", "1"]]), "表头"),
        (lambda p: _write(p, [list(HEADERS)]), "没有数据"),
        (lambda p: _write(p, []), "表头"),
    ],
    ids=["text-file", "broken-zip", "wrong-headers", "headers-only", "empty-sheet"],
)
def test_unusable_files_get_one_clear_error_and_change_nothing(world, tmp_path, make, message_part):
    path = tmp_path / "upload.xlsx"
    make(path)
    with pytest.raises(ImportRefused) as refused:
        household_import(path=path, user=world.users[roles.HEAD_OFFICE])
    assert message_part in refused.value.message
    assert counts() == (0, 0)


def test_parallel_protection_gives_the_same_people(world, tmp_path, settings):
    """Large registers encrypt on a second core; force that path on a small one and compare."""
    settings.PUHUI_IMPORT_PARALLEL_MIN_ROWS = 10
    register = valid_register(IN_TOWNSHIP, households=30, seed=7)
    result = household_import(path=register.save(tmp_path / "r.xlsx"), user=world.users[roles.HEAD_OFFICE])
    assert result.imported_persons == len(register.rows) > 10
    for row in register.rows:
        person = Person.objects.get(id_index=blind_index(row[5], purpose=ID_INDEX))
        assert (person.name, person.id_number, person.phone) == (row[4], row[5], row[6])


def test_household_numbers_reused_across_villages(world, tmp_path):
    """Registers numbered village by village: 户编号 '1' in two villages is two households."""
    mine = valid_register([IN_TOWNSHIP[0]], households=3, seed=11)
    other = valid_register([IN_TOWNSHIP[1]], households=3, seed=12)
    for register, prefix in ((mine, "H1100"), (other, "H1200")):
        for row in register.rows:
            row[2] = str(int(row[2].removeprefix(prefix)) + 1)  # '1', '2', '3' in each village
    mine.rows += other.rows
    result = household_import(path=mine.save(tmp_path / "r.xlsx"), user=world.users[roles.HEAD_OFFICE])
    assert (result.imported_households, result.rejected_households) == (6, 0)
    assert sorted(Household.objects.values_list("village__code", "number")) == sorted(
        (code, str(n)) for code in ("330781102201", "330781102202") for n in (1, 2, 3)
    )


def test_headers_with_full_width_brackets_are_accepted(world, tmp_path):
    from openpyxl import load_workbook

    path = valid_register(IN_TOWNSHIP, households=2).save(tmp_path / "r.xlsx")
    workbook = load_workbook(path)
    for cell in workbook.active[1]:
        cell.value = cell.value.replace("(", "（").replace(")", "）")
    workbook.save(path)
    assert household_import(path=path, user=world.users[roles.HEAD_OFFICE]).imported_households == 2
