"""Register workbooks with the broken rows of DOMAIN §8, one broken row per kind in its own household."""

from puhui.core.ids import resident_id_check_char
from puhui.demo.register import RegisterFile, valid_register

__all__ = ["BROKEN_KINDS", "RegisterFile", "break_rows", "valid_register"]

BROKEN_KINDS = (
    "bad_checksum",
    "impossible_birth_date",
    "bad_phone",
    "negative_money",
    "non_numeric_money",
    "two_heads",
    "unknown_village",
    "village_of_another_township",
    "duplicate_id_in_file",
    "control_characters",
)


def break_rows(register: RegisterFile, other_township_village: tuple[str, str]) -> dict[str, str]:
    """Break one row of a different household for each kind; returns kind → 户编号 of the broken household."""
    numbers = list(dict.fromkeys(r[2] for r in register.rows))
    multi = [n for n in numbers if len(register.household_rows(n)) >= 2]
    chosen = {}
    for kind, number in zip(BROKEN_KINDS, multi[3::7], strict=False):
        rows = register.household_rows(number)
        _break(kind, rows, register, other_township_village, numbers)
        chosen[kind] = number
        register.broken.add(number)
    assert len(chosen) == len(BROKEN_KINDS)
    return chosen


def _break(kind, rows, register, other, numbers) -> None:
    row = rows[1]
    if kind == "bad_checksum":
        last = row[5][-1]
        row[5] = row[5][:-1] + ("0" if last != "0" else "1")
    elif kind == "impossible_birth_date":
        first17 = row[5][:6] + "19900230" + row[5][14:17]
        row[5] = first17 + resident_id_check_char(first17)
    elif kind == "bad_phone":
        row[6] = "1234567"
    elif kind == "negative_money":
        row[8] = -500
    elif kind == "non_numeric_money":
        row[9] = "十万"
    elif kind == "two_heads":
        row[3] = "户主"
    elif kind == "unknown_village":
        row[1] = row[1][:9] + "999"
    elif kind == "village_of_another_township":
        row[1] = other[1]  # a real village, but of another township than 乡镇代码 says
    elif kind == "duplicate_id_in_file":
        earlier = register.household_rows(numbers[0])[0]
        row[5] = earlier[5]  # the ID of a person listed earlier in the file
    elif kind == "control_characters":
        row[4] = "张\t三"
