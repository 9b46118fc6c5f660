"""Demo credit history (DOMAIN §4): the plan's first years of lines, drawdowns, repayments and end of day.

Nothing is written as rows: every line is activated, every loan drawn and every repayment made through the
real services on its business date, and the real end of day closes each date from HISTORY_START to the
day before the demo's business date. Borrowers behave in kinds: most pay their interest each month and
repay at maturity (some draw again); others stop paying at a date chosen so that by the demo date their loans
sit in 关注, 次级, 可疑 and 损失. Drawdowns go through every channel (counter, field, agent by the account
manager; mobile and online by the farmer, who gets a self-service login without a usable password).
"""

import datetime
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db.models import Q

from puhui.core.services import business_date_set
from puhui.credit.eod import eod_day
from puhui.credit.models import LOAN_OPEN, CreditLine, EodRun, Loan
from puhui.credit.services import line_activate, line_drawdown, line_repay
from puhui.demo import plan
from puhui.households.models import Person
from puhui.org import roles
from puhui.org.models import User

HISTORY_START = datetime.date(2016, 3, 1)
DAILY_SNAPSHOTS = 120
DAY = datetime.timedelta(days=1)
LINES = {"small": 240, "county": 600}
GRADES = (("AAA", 30_000_000, Decimal("4.85")), ("AA", 20_000_000, Decimal("5.20")), ("A", 10_000_000, Decimal("5.55")))
STAFF_CHANNELS = (Loan.Channel.COUNTER, Loan.Channel.FIELD, Loan.Channel.AGENT)
SELF_CHANNELS = (Loan.Channel.MOBILE, Loan.Channel.ONLINE)
PURPOSES = ("茶叶种植", "生猪养殖", "农资采购", "美丽家园 房屋修缮", "美丽田园 产业链", "来料加工", "农家乐经营")
# Who stops paying, and when: the loss cases never pay their first interest (due on HISTORY_START's 21st); the
# others stop that many days before the demo date, so that by then their oldest unpaid interest is about
# 313, 160 and 40 days past due (可疑, 次级, 关注) — whatever the demo date.
LOSS_STOPS_ON = datetime.date(2016, 3, 5)
STOP_DAYS_BEFORE = {"doubtful": 333, "substandard": 180, "special_mention": 60}
GOOD_START_DAYS_BEFORE = 46  # good borrowers open their lines up to that many days before the demo date


@dataclass
class Borrower:
    line_id: int
    staff: User
    farmer: User
    stops_on: datetime.date | None  # None: pays to the end
    redraws: bool


def demo_credit_history_load(
    *, scale: str, until: datetime.date, seed: int = 330781, on_day: Callable[[datetime.date], None] | None = None
) -> int:
    """Play the history up to (not including) `until`; returns the lines made (0 when already played).
    `on_day` takes the other steps of a date (the plan years') before its credit business and its end of day."""
    if EodRun.objects.exists() or CreditLine.objects.exists():
        return 0
    rng = random.Random(seed)
    heads = _borrowing_heads(LINES.get(scale, LINES["small"]), rng)
    stops = {"loss": LOSS_STOPS_ON} | {kind: until - days * DAY for kind, days in STOP_DAYS_BEFORE.items()}
    activations = _activation_days(heads, rng, stops, good_until=until - GOOD_START_DAYS_BEFORE * DAY)
    borrowers: dict[int, Borrower] = {}
    head_office = User.objects.filter(groups__name=roles.HEAD_OFFICE).order_by("pk").first()
    day = HISTORY_START
    business_date_set(business_date=day)
    while day < until:
        for head, kind in activations.pop(day, []):
            borrower = _line_open(head, day, rng, stops_on=stops.get(kind))
            borrowers[borrower.line_id] = borrower
        if on_day is not None:
            on_day(day)
        _day_business(day, borrowers, rng)
        eod_day(user=head_office, business_date=day, snapshot=_snapshot_wanted(day, until))
        day += DAY
    return len(borrowers)


def _snapshot_wanted(day: datetime.date, until: datetime.date) -> bool:
    """The replay keeps the plan indicators of every month end and of every day of the last DAILY_SNAPSHOTS
    (a bank's own end of day keeps every day; replaying years of them would slow the demo's start)."""
    return (day + DAY).day == 1 or (until - day).days <= DAILY_SNAPSHOTS


def _borrowing_heads(count: int, rng: random.Random) -> list[Person]:
    """Heads of households in villages with an account manager, the demo township first."""
    heads = list(
        Person.objects.filter(relation="head", household__grid__account_manager__isnull=False, user__isnull=True)
        .select_related("household__grid__account_manager", "household__village__township")
        .order_by("household__number")
    )
    demo = [h for h in heads if h.household.village.township.code == plan.DEMO_TOWNSHIP]
    others = [h for h in heads if h.household.village.township.code != plan.DEMO_TOWNSHIP]
    rng.shuffle(demo)
    rng.shuffle(others)
    from_demo = max(count * 2 // 3, count - len(others))
    return demo[:from_demo] + others[: count - len(demo[:from_demo])]


def _activation_days(heads: list[Person], rng: random.Random, stops: dict, good_until: datetime.date) -> dict:
    """Each head's activation day and kind; the late payers start early enough to reach their class."""
    days: dict[datetime.date, list] = defaultdict(list)
    kinds = ["loss", "doubtful", "substandard", "special_mention", "special_mention"] * 3
    for n, head in enumerate(heads):
        kind = kinds[n] if n < len(kinds) else "good"
        latest = (stops[kind] - 4 * DAY if kind != "good" else good_until) - HISTORY_START
        days[HISTORY_START + datetime.timedelta(days=rng.randint(0, max(0, latest.days)))].append((head, kind))
    return days


def _line_open(head: Person, day: datetime.date, rng: random.Random, *, stops_on: datetime.date | None) -> Borrower:
    staff = head.household.grid.account_manager
    grade, limit_fen, rate = rng.choice(GRADES)
    line = line_activate(
        user=staff, household=head.household, borrower=head, limit_fen=limit_fen, grade=grade, rate=rate, start_date=day
    )
    farmer = User(username=f"f{head.household.number}", full_name=head.name)
    farmer.set_unusable_password()  # a self-service login is opened at the counter, not in the demo
    farmer.save()
    farmer.groups.add(Group.objects.get(name=roles.FARMER))
    Person.objects.filter(pk=head.pk).update(user=farmer)
    borrower = Borrower(line.pk, staff, farmer, stops_on, redraws=rng.random() < 0.6)
    _draw(borrower, rng)
    return borrower


def _draw(borrower: Borrower, rng: random.Random) -> None:
    line = CreditLine.objects.get(pk=borrower.line_id)
    amount = min(line.available_fen, round(line.limit_fen * rng.uniform(0.15, 0.6), -5))
    if amount <= 0 or line.status != CreditLine.Status.ACTIVE:
        return
    channel = rng.choice(STAFF_CHANNELS + SELF_CHANNELS)
    user = borrower.farmer if channel in SELF_CHANNELS else borrower.staff
    line_drawdown(user=user, line_id=line.pk, amount_fen=amount, channel=channel, purpose=rng.choice(PURPOSES))


def _paying(borrower: Borrower, day: datetime.date) -> bool:
    return borrower.stops_on is None or day < borrower.stops_on


def _day_business(day: datetime.date, borrowers: dict[int, Borrower], rng: random.Random) -> None:
    """The day's repayments: interest on the 21st, whole loans a few days before maturity, then redraws."""
    if day.day == 21:
        due = Loan.objects.filter(Q(interest_due_fen__gt=0) | Q(penalty_due_fen__gt=0), line_id__in=list(borrowers))
        for line_id in sorted(set(due.values_list("line_id", flat=True))):
            _pay(borrowers[line_id], day, rng, whole=False)
    maturing = Loan.objects.filter(LOAN_OPEN, maturity=day + 3 * DAY, line_id__in=list(borrowers))
    for line_id in sorted(set(maturing.values_list("line_id", flat=True))):
        borrower = borrowers[line_id]
        if _paying(borrower, day):
            _pay(borrower, day, rng, whole=True)
            if borrower.redraws:
                _draw(borrower, rng)


def _pay(borrower: Borrower, day: datetime.date, rng: random.Random, *, whole: bool) -> None:
    if not _paying(borrower, day):
        return
    loans = Loan.objects.filter(LOAN_OPEN, line_id=borrower.line_id)
    interest = sum(loan.interest_due_fen + loan.penalty_due_fen + loan.penalty_accrued_fen for loan in loans)
    amount = interest + (
        sum(loan.outstanding_principal_fen + loan.interest_accrued_fen for loan in loans) if whole else 0
    )
    if amount <= 0:
        return
    channel = rng.choice(STAFF_CHANNELS + SELF_CHANNELS)
    user = borrower.farmer if channel in SELF_CHANNELS else borrower.staff
    line_repay(user=user, line_id=borrower.line_id, amount_fen=amount, channel=channel)
