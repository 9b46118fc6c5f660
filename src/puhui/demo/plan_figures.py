"""Demo plan figures (DOMAIN §6): what the platform does not compute, played on its business dates beside the
credit history — through the same uploads and services a bank's staff use.

- Monthly figures: on the first working day after each month end the head office uploads three workbooks (core
  banking, channels, social-security cards from 2017) with the month's figures for every imported indicator,
  on paths that lead some indicators to their 2020 targets and leave others short; one month's core-banking file
  is corrected a week later, so the history shows a superseded figure.
- The service-point register (JC1) is uploaded each spring with the points opened by then.
- Designations (信用户 / 信用村 / 信用乡镇) are evaluated at each year end.
"""

import datetime
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from puhui.demo.plan_years import Schedule
from puhui.kpi import figure_workbook as wb
from puhui.kpi.designations import designations_evaluate
from puhui.kpi.figures import figure_upload
from puhui.kpi.models import DesignationRun, Indicator
from puhui.kpi.service_points import HEADERS as POINT_HEADERS
from puhui.kpi.service_points import service_points_import
from puhui.org.models import User, Village

YI, WAN = 100_000_000, 10_000
PLAN_START, PLAN_END = datetime.date(2016, 1, 31), datetime.date(2020, 12, 31)
# code → (value at the end of January 2016, value at the end of 2020): percent as a fraction, yuan, counts.
# For indicators the platform computes too (internal+imported) these are the parts from outside the platform.
PATHS = {
    "DK1": (8 * YI, Decimal("14.2") * YI),
    "DK2": (82 * YI, 97 * YI),
    "DK3": (Decimal("0.1") * YI, Decimal("1.05") * YI),
    "DK4": (6 * YI, 12 * YI),
    "DK4C": (9_000, 18_500),
    "DK5": (30 * YI, 51 * YI),
    "DK5C": (18_000, 31_000),
    "DK6": (50 * YI, 72 * YI),
    "DK6C": (6_000, 10_500),
    "DK7": (Decimal("0.5") * YI, Decimal("5.2") * YI),
    "DK8": (Decimal("0.3") * YI, Decimal("3.6") * YI),
    "DK9": (12 * YI, 9 * YI),
    "JC2": (Decimal("0.1") * YI, Decimal("1.1") * YI),
    "QD1": (Decimal("0.55"), Decimal("0.83")),
    "QD3": (12_000, 43_000),
    "QD4": (2_000, 16_500),
    "QD5": (Decimal("0.10"), Decimal("0.38")),
    "SB1": (Decimal("0.40"), Decimal("0.96")),
    "SB2": (Decimal("0.20"), Decimal("0.62")),
    "SB3": (Decimal("0.10"), Decimal("0.48")),
}
CARDS_FROM = datetime.date(2017, 1, 31)  # social-security cards: the bank's figures start with 2017
CORRECTED_MONTH = datetime.date(2017, 12, 31)
POINT_KINDS = ("ATM", "POS", "助农终端", "网点")


def plan_figures_schedule(*, until: datetime.date, seed: int = 330781) -> Schedule:
    """The uploads and evaluations to make, by business date, before `until`."""
    schedule: Schedule = {}
    folder = Path(tempfile.mkdtemp(prefix="puhui-demo-figures-"))
    month_end = datetime.date(2016, 3, 31)
    while month_end < until:
        report_day = _next_weekday(month_end + datetime.timedelta(days=1))
        if report_day < until:
            schedule.setdefault(report_day, []).append(
                lambda m=month_end: _monthly_upload(folder, m, random.Random(f"{seed}-{m}"))
            )
        if month_end == CORRECTED_MONTH and report_day + datetime.timedelta(days=7) < until:
            schedule.setdefault(report_day + datetime.timedelta(days=7), []).append(
                lambda m=month_end: _monthly_upload(folder, m, random.Random(f"{seed}-{m}"), correct=True)
            )
        if month_end.month == 12:
            schedule.setdefault(month_end, []).append(lambda m=month_end: _designate(m))
        month_end = _month_end(month_end + datetime.timedelta(days=1))
    rng = random.Random(seed)
    openings = _point_openings(rng)
    for year in range(2016, until.year + 1):
        day = _next_weekday(datetime.date(year, 3, 1))
        if day < until:
            schedule.setdefault(day, []).append(lambda day=day: _points_upload(folder, openings, day))
    return schedule


def _month_end(day: datetime.date) -> datetime.date:
    following = datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)


def _next_weekday(day: datetime.date) -> datetime.date:
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return day


def _head() -> User:
    return User.objects.get(username="head")


def _value(indicator: Indicator, month_end: datetime.date, rng: random.Random) -> Decimal:
    start, end = (Decimal(v) for v in PATHS[indicator.code])
    share = Decimal((month_end - PLAN_START).days) / Decimal((PLAN_END - PLAN_START).days)
    value = (start + (end - start) * share) * Decimal(str(rng.uniform(0.985, 1.015)))
    if indicator.unit == Indicator.Unit.PERCENT:
        return min(Decimal(1), value).quantize(Decimal("0.0001"))
    if indicator.unit == Indicator.Unit.YUAN:
        return value.quantize(Decimal("0.01"))
    return value.quantize(Decimal(1))


def _monthly_upload(folder: Path, month_end: datetime.date, rng: random.Random, *, correct: bool = False) -> None:
    indicators = [i for i in Indicator.objects.filter(code__in=PATHS) if month_end >= CARDS_FROM or i.code[:2] != "SB"]
    for source in wb.FILE_SOURCES:
        rows = [i for i in indicators if wb.source_system_of(i.code, i.source) == source]
        if not rows or (correct and source != wb.CORE_BANKING):
            continue
        values = {i.code: _value(i, month_end, rng) for i in rows}
        if correct:  # the core-banking system restated the month's 涉农 balance
            values["DK2"] = (values["DK2"] * Decimal("1.004")).quantize(Decimal("0.01"))
        suffix = "-更正" if correct else ""
        path = folder / f"{source}-{month_end:%Y-%m}{suffix}.xlsx"
        _figures_workbook(path, rows, values, month_end)
        figure_upload(path=path, file_name=path.name, source_system=source, user=_head())


def _figures_workbook(path: Path, indicators: list[Indicator], values: dict, month_end: datetime.date) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(wb.HEADERS)
    for indicator in indicators:  # openpyxl writes a Decimal as the number it is
        sheet.append([indicator.code, indicator.name_zh, "全市", month_end.isoformat(), values[indicator.code]])
    book.save(path)


def _point_openings(rng: random.Random) -> list[tuple[str, str, str, datetime.date]]:
    """Service points of the 行政村: most opened before the plan, the rest over 2016–2018, a few still missing."""
    openings = []
    for village in Village.objects.filter(is_rural=True).order_by("code"):
        roll = rng.random()
        if roll > 0.97:
            continue
        opened = (
            datetime.date(2014, 6, 1)
            if roll < 0.7
            else datetime.date(2016, 1, 1) + datetime.timedelta(days=rng.randrange(0, 900))
        )
        kind = POINT_KINDS[2] if roll < 0.8 else rng.choice(POINT_KINDS)
        openings.append((village.code, kind, f"{village.name}{kind}", opened))
    return openings


def _points_upload(folder: Path, openings: list, day: datetime.date) -> None:
    path = folder / f"service-points-{day:%Y}.xlsx"
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(POINT_HEADERS)
    for code, kind, name, since in (o for o in openings if o[3] <= day):
        sheet.append([code, kind, name, since.isoformat(), ""])
    book.save(path)
    service_points_import(user=_head(), path=path)


def _designate(day: datetime.date) -> None:
    designations_evaluate(user=_head(), as_of=day, trigger=DesignationRun.Trigger.YEARLY)
