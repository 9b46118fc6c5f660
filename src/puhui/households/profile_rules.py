"""Cleaning of profile input into stored values, with a Chinese message per field (via gettext)."""

import datetime
from dataclasses import dataclass

from puhui.core import ids
from puhui.core.validation_messages import invalid_value_message
from puhui.households.completeness import MemberFacts


class ProfileInvalid(Exception):
    """Field-level refusals: {field name: message}. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class PersonValues:
    name: str
    id_number: str  # '' when not given
    birth_date: datetime.date | None
    sex: str
    phone: str  # '' when not given


def person_values_clean(*, name: str, id_number: str, phone: str, today: datetime.date) -> PersonValues:
    errors: dict[str, str] = {}
    clean_name = _clean(errors, "name", ids.person_name_normalize, name)
    resident = _clean(errors, "id_number", lambda v: ids.resident_id_parse(v, today=today), id_number, optional=True)
    clean_phone = _clean(errors, "phone", ids.phone_normalize, phone, optional=True)
    if errors:
        raise ProfileInvalid(errors)
    return PersonValues(
        name=clean_name,
        id_number=resident.number if resident else "",
        birth_date=resident.birth_date if resident else None,
        sex=resident.sex if resident else "",
        phone=clean_phone or "",
    )


def money_fen_clean(errors: dict[str, str], field: str, value) -> int | None:
    return _clean(errors, field, ids.money_to_fen, value, optional=True)


def _clean(errors: dict[str, str], field: str, rule, value, *, optional: bool = False):
    if optional and (value is None or str(value).strip() == ""):
        return None
    try:
        return rule(value if isinstance(value, str | int | float) else value)
    except ids.InvalidValue as exc:
        errors[field] = invalid_value_message(exc)
        return None


def member_facts(*, is_head: bool, name: str, id_number: str, phone: str) -> MemberFacts:
    """Stored values are already valid; presence is what counts."""
    return MemberFacts(is_head=is_head, has_name=bool(name), has_valid_id=bool(id_number), has_valid_phone=bool(phone))
