"""Generated household registers (DOMAIN §8 template): households with real-shaped IDs, names and phones.

Used by the demo, the benchmarks and the tests."""

import datetime
import random
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

from puhui.core.ids import resident_id_check_char
from puhui.households.register import HEADERS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def resident_id(rng: random.Random, birth: datetime.date, area: str = "330781") -> str:
    first17 = f"{area}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


@dataclass
class RegisterFile:
    rows: list[list] = field(default_factory=list)
    # 户编号 of households that hold a deliberately broken row (tests)
    broken: set[str] = field(default_factory=set)

    def household_rows(self, number: str) -> list[list]:
        return [r for r in self.rows if r[2] == number]

    def save(self, path: Path) -> Path:
        workbook = Workbook()
        sheet = workbook.active
        sheet.append(list(HEADERS))
        for row in self.rows:
            sheet.append(row)
        for cell in sheet["F"]:  # ID numbers as text, as the template has them
            cell.number_format = "@"
        workbook.save(path)
        return path


def valid_register(villages: list[tuple[str, str]], households: int, seed: int = 1) -> RegisterFile:
    """`households` households spread over (township code, village code) pairs, 1–6 members each."""
    rng = random.Random(seed)
    used_ids: set[str] = set()
    register = RegisterFile()
    for n in range(households):
        township, village = villages[n % len(villages)]
        number = f"H{seed:02d}{n:05d}"
        for m in range(rng.choice((1, 2, 3, 3, 4, 4, 5, 6))):
            register.rows.append(person_row(rng, used_ids, township, village, number, m))
    return register


def person_row(rng, used_ids, township, village, number, member_index) -> list:
    is_head = member_index == 0
    birth = datetime.date(rng.randrange(1950, 2010), rng.randrange(1, 13), rng.randrange(1, 29))
    while (id_number := resident_id(rng, birth)) in used_ids:
        pass
    used_ids.add(id_number)
    relation = "户主" if is_head else rng.choice(("配偶", "子女", "父母", "其他"))
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if is_head or rng.random() < 0.5 else ""
    money = [rng.randrange(20000, 200000), rng.randrange(100000, 2000000), rng.randrange(0, 100000)]
    if is_head and rng.random() < 0.3:
        money[0] = f"{money[0]}.50"  # text with decimals, as people type it
    low_income = ("是" if rng.random() < 0.05 else "否") if is_head else ""
    household_fields = money if is_head else ["", "", ""]
    return [township, village, number, relation, name, id_number, phone, "务农", *household_fields, low_income]
