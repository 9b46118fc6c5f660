"""建档完整度: a household profile's completeness score 0–100 and what is missing. Pure rules."""

from dataclasses import dataclass
from typing import NamedTuple

# (item code, weight); weights add up to 100. Codes are shown to staff through MISSING_ITEM_LABELS.
ITEMS: tuple[tuple[str, int], ...] = (
    ("head", 10),
    ("members_collected", 20),
    ("head_phone", 10),
    ("address", 10),
    ("main_industry", 5),
    ("annual_net_income", 10),
    ("total_assets", 10),
    ("debts", 5),
    ("land_area", 5),
    ("gps", 5),
    ("photo_house", 5),
    ("photo_family", 5),
)
assert sum(weight for _, weight in ITEMS) == 100


class MemberFacts(NamedTuple):  # a tuple: the import builds 100,000 of these
    is_head: bool
    has_name: bool
    has_valid_id: bool
    has_valid_phone: bool


class HouseholdFacts(NamedTuple):
    members: tuple[MemberFacts, ...]
    has_address: bool
    has_main_industry: bool
    has_income: bool
    has_assets: bool
    has_debts: bool
    has_land_area: bool
    has_gps: bool
    photo_kinds: frozenset[str]


@dataclass(frozen=True)
class Completeness:
    score: int
    missing: tuple[str, ...]


def person_is_collected(member: MemberFacts) -> bool:
    """A person counts as collected (已采集) with a name and a valid ID number; the head also needs a phone."""
    return member.has_name and member.has_valid_id and (member.has_valid_phone or not member.is_head)


def household_completeness(facts: HouseholdFacts) -> Completeness:
    heads = [m for m in facts.members if m.is_head]
    present = {
        "head": len(heads) == 1,
        "members_collected": bool(facts.members) and all(person_is_collected(m) for m in facts.members),
        "head_phone": len(heads) == 1 and heads[0].has_valid_phone,
        "address": facts.has_address,
        "main_industry": facts.has_main_industry,
        "annual_net_income": facts.has_income,
        "total_assets": facts.has_assets,
        "debts": facts.has_debts,
        "land_area": facts.has_land_area,
        "gps": facts.has_gps,
        "photo_house": "house" in facts.photo_kinds,
        "photo_family": "family" in facts.photo_kinds,
    }
    score = sum(weight for code, weight in ITEMS if present[code])
    return Completeness(score=score, missing=tuple(code for code, _ in ITEMS if not present[code]))
