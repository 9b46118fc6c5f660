"""`puhui bench eod`: one business day of end of day for SIZE open loans, beside a raw-SQL baseline.

Setup (not timed): 50,000 households with one line each and SIZE / 50,000 loans per line, drawn over the
previous year at contract rates of 4.85–5.55 %, 5 % of them matured unpaid and 3 % with unpaid settled
interest, booked with one opening journal (a principal leg per loan), so the books balance from the start.

Each round closes one business date with the real `eod_day` (accrual of three interest kinds with exact
remainders, settlement, the accrual journal with a leg per loan, DPD and classification, freeze/thaw/expiry,
advancing the date, commit) and, beside it, the baseline: one raw UPDATE of the same accrual column (rolled back,
so the books stay whole) and one raw INSERT … SELECT of one row per loan into a table shaped like the ledger's
legs with the same foreign keys, committed. Three rounds
(the 18th, the 19th and the 20th, a settlement day); the medians are compared. The books must balance after.
(The 21st of this portfolio would be no business day: nobody pays, so every loan falls past due at once.)
"""

import datetime
import random
import statistics
import time
from decimal import Decimal

from django.db import connection, transaction

from bench.harness import Measurement
from puhui.core.bulk import insert_rows
from puhui.core.services import business_date_set
from puhui.credit import interest
from puhui.credit.eod import eod_day
from puhui.credit.ledger import account_ids
from puhui.credit.models import Account, CreditLine, EodRun, Journal, Loan
from puhui.credit.selectors import trial_balance
from puhui.demo.services import demo_load
from puhui.households.models import Household, Person
from puhui.org import roles
from puhui.org.models import Grid, User

NAME = "eod"
DEFAULT_SIZE = 1_000_000
LINES = 50_000
PREFIX = "BENCHEOD-"
ROUND_DATES = (datetime.date(2017, 7, 18), datetime.date(2017, 7, 19), datetime.date(2017, 7, 20))
RATES = (Decimal("4.85"), Decimal("5.20"), Decimal("5.55"))


def run(size: int = DEFAULT_SIZE) -> Measurement:
    demo_load()
    user = User.objects.filter(groups__name=roles.HEAD_OFFICE).order_by("pk").first()
    if not Loan.objects.filter(line__household__number__startswith=PREFIX).exists():
        _portfolio_create(size, user)
    ours, baseline = [], []
    for day in ROUND_DATES:
        if EodRun.objects.filter(business_date=day, status=EodRun.Status.SUCCEEDED).exists():
            continue  # a later run of the benchmark on the same database goes on from where it stopped
        business_date_set(business_date=day)
        _vacuum()
        baseline.append(_baseline())
        _vacuum()
        marks: list[tuple[str, float]] = []
        start = time.perf_counter()
        run_row = eod_day(
            user=user,
            business_date=day,
            progress=lambda _d, step, _n, marks=marks: marks.append((step, time.perf_counter())),
        )
        ours.append(time.perf_counter() - start)
        steps = {a[0]: round(b[1] - a[1], 2) for a, b in zip(marks, marks[1:], strict=False)}
        steps["commit"] = round(start + ours[-1] - marks[-1][1], 2)
        print(f"  {day}: end of day {ours[-1]:.2f} s {steps}, baseline {baseline[-1]:.2f} s, {run_row.counts}")
    balance = trial_balance()
    if not balance.balanced:
        raise AssertionError(f"the books do not balance after the benchmark: {balance}")
    loans = Loan.objects.count()
    return Measurement(
        workload=NAME,
        size=loans,
        seconds=statistics.median(ours),
        baseline_seconds=statistics.median(baseline),
        extra={
            "rounds": len(ours),
            "round_seconds": [round(s, 3) for s in ours],
            "baseline_round_seconds": [round(s, 3) for s in baseline],
            "books_balanced": balance.balanced,
        },
    )


def _portfolio_create(size: int, user: User) -> None:
    rng = random.Random(size)
    grid = Grid.objects.select_related("village").order_by("pk").first()
    start = time.perf_counter()
    Household.objects.bulk_create(
        (Household(village=grid.village, grid=grid, number=f"{PREFIX}{n:06d}") for n in range(LINES)),
        batch_size=5000,
    )
    households = list(
        Household.objects.filter(number__startswith=PREFIX).order_by("number").values_list("pk", flat=True)
    )
    Person.objects.bulk_create(
        (Person(household_id=h, relation="head", name="基准户") for h in households), batch_size=5000
    )
    heads = dict(Person.objects.filter(household_id__in=households).values_list("household_id", "pk"))
    per_line = max(1, size // LINES)
    loans, lines = _loan_rows(rng, households, heads, per_line, user)
    insert_rows(CreditLine, LINE_COLUMNS, lines)
    line_ids = list(
        CreditLine.objects.filter(household__number__startswith=PREFIX)
        .order_by("household_id")
        .values_list("pk", flat=True)
    )
    insert_rows(Loan, LOAN_COLUMNS, [(line_ids[row[0]], *row[1:]) for row in loans])
    _opening_journal()
    print(f"  setup: {len(loans):,} loans on {len(lines):,} lines in {time.perf_counter() - start:.0f} s")


LINE_COLUMNS = [
    "household_id",
    "borrower_id",
    "limit_fen",
    "outstanding_principal_fen",
    "grade",
    "rate",
    "start_date",
    "end_date",
    "status",
    "frozen_by_eod",
    "created_at",
    "updated_at",
]
LOAN_COLUMNS = [
    "line_id",
    "principal_fen",
    "outstanding_principal_fen",
    "rate",
    "drawn_on",
    "maturity",
    "channel",
    "purpose",
    "purpose_kind",
    "dpd",
    "classification",
    "created_by_id",
    "created_at",
    "rate_scaled",
    "penalty_rate_scaled",
    "normal_remainder_units",
    "penalty_remainder_units",
    "compound_remainder_units",
    "interest_accrued_fen",
    "penalty_accrued_fen",
    "interest_due_fen",
    "penalty_due_fen",
    "interest_due_since",
    "accrued_through",
    "accrual_run_id",
    "accrual_day_interest_fen",
    "accrual_day_penalty_fen",
]


def _loan_rows(rng, households, heads, per_line, user):
    """(line index, loan columns…) per loan and the line rows; 5 % matured unpaid, 3 % with interest due."""
    now = datetime.datetime.now(datetime.UTC)
    first = ROUND_DATES[0]
    loans, lines = [], []
    for i, household in enumerate(households):
        rate = RATES[i % len(RATES)]
        total = 0
        for _ in range(per_line):
            principal = rng.randrange(500_000, 1_500_001, 100)
            drawn = first - datetime.timedelta(days=rng.randint(20, 420))
            maturity = drawn + datetime.timedelta(days=365)
            if maturity <= first and rng.random() < 0.9:  # most were repaid and drawn again; 1 in 10 is overdue
                drawn, maturity = first - datetime.timedelta(days=30), first + datetime.timedelta(days=335)
            due = rng.randrange(100, 10_000) if rng.random() < 0.03 else 0
            total += principal
            loans.append(
                (
                    i,
                    principal,
                    principal,
                    rate,
                    drawn,
                    maturity,
                    "counter",
                    "",
                    "general",
                    0,
                    "normal",
                    user.pk,
                    now,
                    interest.scaled_rate(rate),
                    interest.scaled_rate(interest.penalty_rate(rate)),
                    0,
                    0,
                    0,
                    0,
                    0,
                    due,
                    0,
                    datetime.date(2017, 6, 21) if due else None,
                    first - datetime.timedelta(days=1),
                    None,
                    0,
                    0,
                )
            )
        lines.append(
            (
                household,
                heads[household],
                30_000_000,
                total,
                "AAA",
                rate,
                datetime.date(2016, 5, 1),
                datetime.date(2019, 5, 1),
                "active",
                False,
                now,
                now,
            )
        )
    return loans, lines


def _opening_journal() -> None:
    """The portfolio as booked before the benchmark: principal and unpaid interest per loan, one clearing leg."""
    accounts = account_ids()
    loan, leg = Loan._meta.db_table, "credit_leg"
    with transaction.atomic():
        journal = Journal.objects.create(kind=Journal.Kind.DRAWDOWN, business_date=ROUND_DATES[0])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {leg} (journal_id, account_id, loan_id, amount_fen)"
                f" SELECT %s, %s, id, outstanding_principal_fen FROM {loan} WHERE accrual_run_id IS NULL"
                f" UNION ALL SELECT %s, %s, id, interest_due_fen FROM {loan}"
                f" WHERE accrual_run_id IS NULL AND interest_due_fen > 0"
                f" UNION ALL SELECT %s, %s, NULL, -SUM(outstanding_principal_fen + interest_due_fen) FROM {loan}"
                f" WHERE accrual_run_id IS NULL",
                [
                    journal.pk,
                    accounts[Account.Code.LOAN_PRINCIPAL],
                    journal.pk,
                    accounts[Account.Code.INTEREST_RECEIVABLE],
                    journal.pk,
                    accounts[Account.Code.CUSTOMER_SETTLEMENT],
                ],
            )


SCRATCH_LEGS = "bench_eod_legs"


def _scratch_legs_create(cursor) -> None:
    """A table shaped like the ledger's legs, with the same foreign keys (deferred to commit) and indexes."""
    cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_LEGS}")
    key = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY AUTOINCREMENT"
    deferred = "DEFERRABLE INITIALLY DEFERRED"
    cursor.execute(
        f"CREATE TABLE {SCRATCH_LEGS} (id {key},"
        f" journal_id bigint NOT NULL REFERENCES credit_journal (id) {deferred},"
        f" account_id bigint NOT NULL REFERENCES credit_account (id) {deferred},"
        f" loan_id bigint NULL REFERENCES credit_loan (id) {deferred},"
        f" amount_fen bigint NOT NULL CHECK (amount_fen <> 0))"
    )
    for column in ("journal_id", "account_id", "loan_id"):
        cursor.execute(f"CREATE INDEX {SCRATCH_LEGS}_{column} ON {SCRATCH_LEGS} ({column})")


def _baseline() -> float:
    """The minimum work on the same data, committed like end of day: one UPDATE of the accrual column of every
    open loan (rolled back afterwards, so the books stay whole), and one INSERT … SELECT of a row per loan into
    a table shaped like the ledger's legs, with the same foreign keys checked at commit."""
    loan = Loan._meta.db_table
    journal_id = Journal.objects.order_by("pk").values_list("pk", flat=True).first()
    receivable = account_ids()[Account.Code.INTEREST_RECEIVABLE]
    units = [interest.UNITS_PER_FEN // 2, interest.UNITS_PER_FEN]
    with connection.cursor() as cursor:
        _scratch_legs_create(cursor)
    start = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {loan} SET interest_accrued_fen = interest_accrued_fen"
                f" + (outstanding_principal_fen * rate_scaled + %s) / %s WHERE outstanding_principal_fen > 0",
                units,
            )
            raise _RollBack(time.perf_counter() - start)
    except _RollBack as done:
        update_seconds = done.elapsed
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SCRATCH_LEGS} (journal_id, account_id, loan_id, amount_fen)"
            f" SELECT %s, %s, id, (outstanding_principal_fen * rate_scaled + %s) / %s FROM {loan}"
            f" WHERE (outstanding_principal_fen * rate_scaled + %s) / %s > 0",
            [journal_id, receivable, *units, *units],
        )
    insert_seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SCRATCH_LEGS}")
    return update_seconds + insert_seconds


class _RollBack(Exception):
    """Undo the baseline's changes: it must leave the books as they were."""

    def __init__(self, elapsed: float) -> None:
        super().__init__(elapsed)
        self.elapsed = elapsed


def _vacuum() -> None:
    """Both sides start from a clean table: the other's dead row versions are vacuumed away (PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Loan._meta.db_table}")
