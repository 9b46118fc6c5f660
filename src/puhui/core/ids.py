"""Rules for identity numbers, phones, names and money (DOMAIN §7, §8); pure Python, no Django."""

import datetime
import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from stdnum import numdb

ID_LENGTH = 18
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
ID_EARLIEST_BIRTH = datetime.date(1900, 1, 1)
PHONE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
NAME_MAX_LENGTH = 30
MONEY_TEXT_PATTERN = re.compile(r"-?(?=\.?[0-9])[0-9]*(?:\.[0-9]*)?")
MONEY_MAX_FEN = 10**13
MONEY_MAX_YUAN = Decimal(MONEY_MAX_FEN).scaleb(-2)
CENT = Decimal("0.01")


class InvalidValue(ValueError):
    """A value refused by a rule. `code` is snake_case, `params` fills the message."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    sex: str
    area_known: bool


def _weighted_sum_tables() -> tuple[tuple[int, int, dict[str, int]], ...]:
    """Weighted sums of every 3-digit group at each position: 6 lookups instead of 17 multiplications."""
    tables = []
    for start in range(0, 17, 3):
        end = min(start + 3, 17)
        width = end - start
        table = {
            f"{n:0{width}d}": sum(int(d) * w for d, w in zip(f"{n:0{width}d}", ID_WEIGHTS[start:end], strict=True))
            for n in range(10**width)
        }
        tables.append((start, end, table))
    return tuple(tables)


_WEIGHTED_SUMS = _weighted_sum_tables()


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character (ISO 7064 MOD 11-2) for 17 digits."""
    (_, _, t0), (_, _, t1), (_, _, t2), (_, _, t3), (_, _, t4), (_, _, t5) = _WEIGHTED_SUMS
    s = first17
    total = t0[s[0:3]] + t1[s[3:6]] + t2[s[6:9]] + t3[s[9:12]] + t4[s[12:15]] + t5[s[15:17]]
    return ID_CHECK_CHARS[total % 11]


def resident_id_parse(raw: str, *, today: datetime.date) -> ResidentId:
    """Check a resident ID number and return it normalized with its birth date, sex and area status."""
    number = (raw or "").strip().upper()
    if not number:
        raise InvalidValue("id_required")
    if len(number) != ID_LENGTH:
        raise InvalidValue("id_length")
    first17, check = number[:17], number[17]
    if not (first17.isascii() and first17.isdigit()) or check not in "0123456789X":
        raise InvalidValue("id_characters")
    if resident_id_check_char(first17) != check:
        raise InvalidValue("id_checksum")
    birth_date = _id_birth_date(number, today)
    sex = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number, birth_date, sex, _id_area_known(number[:6]))


def _id_birth_date(number: str, today: datetime.date) -> datetime.date:
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidValue("id_birth_date") from None
    if not ID_EARLIEST_BIRTH <= birth_date <= today:
        raise InvalidValue("id_birth_date")
    return birth_date


@functools.lru_cache(maxsize=8192)
def _id_area_known(area: str) -> bool:
    # stdnum's validate() also refuses codes newer than the birth year; we only want "does it exist".
    try:
        parts = numdb.get("cn/loc").info(area)
        return any(props.get("county") for _part, props in parts)
    except Exception:  # a broken lookup only downgrades to a warning
        return False


def phone_normalize(raw: str) -> str:
    """A mainland mobile number as 11 digits, or InvalidValue."""
    phone = (raw or "").strip()
    if not phone:
        raise InvalidValue("phone_required")
    if not PHONE_PATTERN.fullmatch(phone):
        raise InvalidValue("phone_format")
    return phone


def person_name_normalize(raw: str) -> str:
    """A person's name without surrounding spaces: 1–30 characters and no control characters."""
    # Control characters are refused wherever they stand, even where strip() would drop them.
    if any(unicodedata.category(char) == "Cc" for char in raw or ""):
        raise InvalidValue("name_control_chars")
    name = (raw or "").strip(" \u3000")
    if not name:
        raise InvalidValue("name_required")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidValue("name_too_long", max=NAME_MAX_LENGTH)
    return name


def money_to_fen(value) -> int:
    """An amount in yuan (text, int, float cell or Decimal) as integer fen, or InvalidValue."""
    # Whole yuan, the common spreadsheet cell: exact as an integer (a whole float below 2**53 is exact too).
    if type(value) in (int, float) and 0 <= value <= MONEY_MAX_FEN // 100 and value == int(value):
        return int(value) * 100
    return _decimal_to_fen(_money_decimal(value))


def _money_decimal(value) -> Decimal:
    if value is None:
        raise InvalidValue("money_required")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise InvalidValue("money_not_a_number")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue("money_not_a_number")
        # The shortest repr is what the spreadsheet showed; float arithmetic would not be.
        return Decimal(repr(value))
    if isinstance(value, str):
        return _money_text_decimal(value)
    raise InvalidValue("money_not_a_number")


def _money_text_decimal(text: str) -> Decimal:
    text = text.strip()
    if not text:
        raise InvalidValue("money_required")
    if not MONEY_TEXT_PATTERN.fullmatch(text):
        raise InvalidValue("money_not_a_number")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise InvalidValue("money_not_a_number") from None


def _decimal_to_fen(amount: Decimal) -> int:
    if not amount.is_finite():
        raise InvalidValue("money_not_a_number")
    if amount < 0:
        raise InvalidValue("money_negative")
    # Bound first: comparisons are exact, while quantize would overflow context precision on huge values.
    if amount > MONEY_MAX_YUAN:
        raise InvalidValue("money_too_large")
    cents = amount.quantize(CENT)
    if cents != amount:
        raise InvalidValue("money_too_many_decimals")
    return int(cents.scaleb(2))


def fen_to_yuan_str(fen: int, *, grouped: bool = False) -> str:
    """Integer fen as yuan text with exactly two decimals, e.g. 1000 -> '10.00', -310 -> '-3.10';
    grouped: with thousands separators, as bank reports print figures (2000000 -> '20,000.00')."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}.{cents:02d}" if grouped else f"{sign}{yuan}.{cents:02d}"


def mask_resident_id(number: str) -> str:
    """Keep the first and last four characters of an ID number, star the rest."""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a phone number, star the rest."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_name_public(name: str) -> str:
    """A name for public notices: keep the first and last character, star the ones between."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
