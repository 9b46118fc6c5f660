"""The household register workbook (DOMAIN §8): template, row parsing, household grouping. Pure rules.

Rows are grouped into households by 户编号 (a register's household number is unique in the file).
A household is imported whole or not at all; every problem is a (code, params) pair on a row.
"""

import datetime
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from puhui.core import ids

HEADERS = (
    "乡镇代码",
    "村代码",
    "户编号",
    "与户主关系",
    "姓名",
    "身份证号",
    "手机号",
    "职业",
    "家庭年纯收入(元)",
    "家庭总资产(元)",
    "家庭负债(元)",
    "低收入农户(是/否)",
)
_HEADER_NORMAL = str.maketrans({"（": "(", "）": ")", " ": None, "\u3000": None, "／": "/"})
RELATIONS = {"户主": "head", "配偶": "spouse", "子女": "child", "父母": "parent", "其他": "other"}
YES_NO = {"是": True, "否": False, "": False}
MONEY_COLUMNS = (("annual_net_income_fen", 8), ("total_assets_fen", 9), ("debts_fen", 10))
OCCUPATION_MAX = 40
NUMBER_MAX = 30

Problem = tuple[str, dict]


@dataclass(slots=True)
class RegisterRow:
    line: int  # the row number in the workbook (the header is line 1)
    raw: tuple  # the cells as uploaded, for the error workbook
    township_code: str = ""
    village_code: str = ""
    number: str = ""
    relation: str = ""
    name: str = ""
    id_number: str = ""
    id_index: str = ""  # set by the importer with the ciphertexts (households.protect)
    id_cipher: str = ""
    phone_cipher: str = ""
    phone_index: str = ""
    collected: bool | None = None  # set by the importer with the household's completeness
    birth_date: datetime.date | None = None
    sex: str = ""
    phone: str = ""
    occupation: str = ""
    money: dict[str, int | None] = field(default_factory=dict)
    is_low_income: bool = False
    problems: list[Problem] = field(default_factory=list)

    def refuse(self, code: str, **params) -> None:
        self.problems.append((code, params))


@dataclass
class RegisterHousehold:
    number: str
    rows: list[RegisterRow]

    @property
    def is_valid(self) -> bool:
        return not any(row.problems for row in self.rows)

    @property
    def head(self) -> RegisterRow:
        return next(row for row in self.rows if row.relation == "head")

    @property
    def village_code(self) -> str:
        return self.rows[0].village_code


def headers_match(header_row: Iterable) -> bool:
    """The template's headers, allowing full-width brackets and spaces as people type them in Excel."""
    cells = [text_cell(c).translate(_HEADER_NORMAL) for c in header_row]
    while cells and cells[-1] == "":
        cells.pop()
    return tuple(cells) == HEADERS


def text_cell(value) -> str:
    """A cell as text: whole numbers typed as numbers lose their '.0'; None is ''."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value).strip()


def row_parse(line: int, cells: tuple, *, today: datetime.date) -> RegisterRow:
    cells = tuple(cells[: len(HEADERS)]) + ("",) * (len(HEADERS) - len(cells))
    row = RegisterRow(line=line, raw=cells)
    row.township_code, row.village_code, row.number = (text_cell(c) for c in cells[:3])
    _codes_check(row)
    _relation_set(row, text_cell(cells[3]))
    _identity_set(row, cells[4], cells[5], cells[6], today)
    row.occupation = text_cell(cells[7])
    if len(row.occupation) > OCCUPATION_MAX:
        row.refuse("occupation_too_long", max=OCCUPATION_MAX)
    for name, index in MONEY_COLUMNS:
        row.money[name] = _money(row, cells[index])
    low_income = text_cell(cells[11])
    if low_income not in YES_NO:
        row.refuse("low_income_value")
    row.is_low_income = YES_NO.get(low_income, False)
    return row


def _codes_check(row: RegisterRow) -> None:
    if not (len(row.township_code) == 9 and row.township_code.isdigit()):
        row.refuse("township_code_format")
    if not (len(row.village_code) == 12 and row.village_code.isdigit()):
        row.refuse("village_code_format")
    if not row.number:
        row.refuse("number_required")
    elif len(row.number) > NUMBER_MAX:
        row.refuse("number_too_long", max=NUMBER_MAX)


def _relation_set(row: RegisterRow, text: str) -> None:
    row.relation = RELATIONS.get(text, "")
    if not row.relation:
        row.refuse("relation_value")


def _identity_set(row: RegisterRow, name, id_cell, phone, today: datetime.date) -> None:
    row.name = _rule(row, ids.person_name_normalize, "" if name is None else str(name))
    if isinstance(id_cell, float | int) and not isinstance(id_cell, bool):
        row.refuse("id_typed_as_number")  # 18 digits do not survive a numeric cell
    else:
        resident = _rule(row, lambda v: ids.resident_id_parse(v, today=today), text_cell(id_cell))
        if resident:
            row.id_number, row.birth_date, row.sex = resident.number, resident.birth_date, resident.sex
    phone_text = text_cell(phone)
    if phone_text:
        row.phone = _rule(row, ids.phone_normalize, phone_text) or ""


def _money(row: RegisterRow, cell) -> int | None:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    return _rule(row, ids.money_to_fen, cell)


def _rule(row: RegisterRow, rule: Callable, value):
    try:
        return rule(value)
    except ids.InvalidValue as exc:
        row.problems.append((exc.code, exc.params))
        return None


def households_group(rows: list[RegisterRow]) -> list[RegisterHousehold]:
    """Group rows into households (file order) and apply the rules that span rows.

    Rows belong together by 户编号. Registers that number households village by village reuse a 户编号
    in several villages: the rows of one 户编号 are split by village when every village's part has its own
    户主. Otherwise they stay one household, and a row whose codes stray from the rest is a bad row."""
    groups: dict[str, list[RegisterRow]] = {}
    for row in rows:
        groups.setdefault(row.number, []).append(row)
    households = [
        RegisterHousehold(number, part) for number, group in groups.items() for part in _split_by_village(group)
    ]
    for household in households:
        _one_head(household)
        _same_codes(household)
    _ids_once(rows)
    return households


def _split_by_village(group: list[RegisterRow]) -> list[list[RegisterRow]]:
    parts: dict[str, list[RegisterRow]] = {}
    for row in group:
        parts.setdefault(row.village_code, []).append(row)
    if len(parts) > 1 and all(sum(r.relation == "head" for r in part) == 1 for part in parts.values()):
        return list(parts.values())
    return [group]


def _one_head(household: RegisterHousehold) -> None:
    heads = [row for row in household.rows if row.relation == "head"]
    if not heads:
        household.rows[0].refuse("no_head")
    for extra in heads[1:]:
        extra.refuse("second_head", line=heads[0].line)


def _same_codes(household: RegisterHousehold) -> None:
    """Rows whose codes differ from the household's usual ones are the bad rows."""
    first = household.rows[0]
    if all(r.village_code == first.village_code and r.township_code == first.township_code for r in household.rows):
        return
    usual = Counter((r.township_code, r.village_code) for r in household.rows).most_common(1)[0][0]
    for row in household.rows:
        if (row.township_code, row.village_code) != usual:
            row.refuse("household_codes_differ")


def _ids_once(rows: list[RegisterRow]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.id_number:
            continue
        if row.id_number in first_line:
            row.refuse("id_repeated_in_file", line=first_line[row.id_number])
        else:
            first_line[row.id_number] = row.line


def villages_check(households: list[RegisterHousehold], *, township_of: dict[str, str], in_scope: set[str]) -> None:
    """Village codes must exist, lie in the stated township and in the uploader's scope."""
    for household in households:
        for row in household.rows:
            if row.village_code not in township_of:
                if not any(code == "village_code_format" for code, _ in row.problems):
                    row.refuse("village_unknown", village=row.village_code)
            elif township_of[row.village_code] != row.township_code:
                row.refuse("village_not_in_township")
            elif row.village_code not in in_scope:
                row.refuse("village_out_of_scope")
