"""The money path's statements in SQL (PostgreSQL and SQLite alike), for the services in credit/services.py.

A drawdown or repayment is a handful of rows; built through the ORM each statement cost more Python than the
database spent on it, and `bench money` is bound by the application's CPU. These are the same writes as
before — the services keep the rules, the transaction, the locks and the audit — in as few round trips
as the two databases allow: the line, its past-due flag and the credit rules in one read; the journal's
legs in one INSERT with their accounts looked up inside it.
"""

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS, connection
from django.utils import timezone

from puhui.core.bulk import current_db, field_values, first_read_done, pipelined, prepared_cursor, write_unanswered
from puhui.core.models import BusinessDate
from puhui.credit.classify import Thresholds
from puhui.credit.models import Account, CreditLine, CreditRules, Journal, Loan

LINE_COLUMNS = (
    "l.id, l.household_id, l.borrower_id, l.status, l.limit_fen, l.outstanding_principal_fen, l.grade, "
    "CAST(l.rate AS TEXT), l.start_date, l.end_date, l.frozen_by_eod"
)


@dataclass(frozen=True)
class ScopeFacts:
    """What decides who may see a line (CreditLine.objects.visible_to as facts of the row)."""

    branch_id: int
    manager_id: int | None
    village_id: int
    user_is_member: bool  # the user asked about is a member of the line's household


@dataclass
class LockedLine:
    """A credit line as its posting sees it, with what the posting needs to know besides."""

    id: int
    household_id: int
    borrower_id: int
    status: str
    limit_fen: int
    outstanding_principal_fen: int
    grade: str
    rate: Decimal
    start_date: datetime.date
    end_date: datetime.date
    frozen_by_eod: bool
    has_past_due_loan: bool
    loan_term_months: int | None  # None: the credit rules row is missing (made with its defaults by the caller)
    penalty_multiplier: Decimal | None
    thresholds: Thresholds | None
    scope: ScopeFacts
    today: datetime.date | None = None  # the business date, held (FOR SHARE) until the posting's transaction ends;
    # None: the row is missing (an empty database: made by the caller)
    chart_complete: bool = True  # False: the chart of accounts is missing (a test emptied the database)
    reserved_ids: dict = field(default_factory=dict)  # model → an id taken from its sequence (PostgreSQL)
    open_loans: list = field(default_factory=list)  # with `loans=True`: the line's open loans (LOAN_OPEN)

    @property
    def available_fen(self) -> int:
        return self.limit_fen - self.outstanding_principal_fen


# The chart of accounts' codes (Account.Code.values builds its list anew at every read)
ACCOUNT_CODES = tuple(Account.Code.values)


def row_id_possible(pk: int) -> bool:
    """Whether a row could have this id (a 64-bit integer): a caller's id beyond that names no line, and SQLite
    cannot even be asked about it (the ORM answers "no such row" the same way)."""
    return -(2**63) <= pk < 2**63


def as_date(value) -> datetime.date:
    """A date column as read by either database (SQLite answers text)."""
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


# The business date is read in the line's statement, before the line is locked: postings share it and end of
# day takes it exclusively (core.selectors.business_date_for_posting), always in that order.
# ScopeFacts of line l (one parameter: the user asked about), and the joins they need.
SCOPE_COLUMNS = (
    "t.branch_id, g.account_manager_id, h.village_id, "
    "EXISTS (SELECT 1 FROM households_person m WHERE m.household_id = h.id AND m.user_id = %s)"
)
SCOPE_JOINS = (
    "JOIN households_household h ON h.id = l.household_id JOIN org_village v ON v.id = h.village_id "
    "JOIN org_township t ON t.id = v.township_id JOIN org_grid g ON g.id = h.grid_id"
)

LINE_LOCK_SQL = (
    f"SELECT {LINE_COLUMNS}, "  # noqa: S608 — constant column lists, the values are parameters
    "EXISTS (SELECT 1 FROM credit_loan p WHERE p.line_id = l.id AND p.dpd > 0 "
    "AND p.outstanding_principal_fen > 0), r.loan_term_months, CAST(r.penalty_multiplier AS TEXT), "
    "r.special_mention_max_dpd, r.substandard_max_dpd, r.doubtful_max_dpd, "
    "(SELECT COUNT(*) FROM credit_account WHERE code IN ({codes})) = {count}, "
    f"{SCOPE_COLUMNS}, "
    "(SELECT business_date FROM core_businessdate WHERE id = %s{share}){reserved} "
    f"FROM credit_creditline l {SCOPE_JOINS} LEFT JOIN credit_creditrules r ON r.id = %s "
    "WHERE l.id = %s{lock}"
)


def line_lock(line_id: int, *, reserve: tuple = (), loans: bool = False, user_id: int | None = None):
    """What a posting reads first, in one round trip, the line locked for the rest of the transaction (FOR
    UPDATE on PostgreSQL; SQLite serialises writers): the business date (held FOR SHARE: end of day waits for
    the posting, or the posting for end of day), whether a loan of the line is past due, the loan term, penalty
    multiplier and classification thresholds of the credit rules, whether the chart of accounts is whole, who
    may see the line (whether user `user_id` is of its household), ids reserved for the rows of the models in
    `reserve` (PostgreSQL) and, with `loans`, the line's open loans. None if there is no such line.

    Inside `pipeline_allowed()` the statements are pipelined from here on (core.bulk.pipelined)."""
    if not row_id_possible(line_id):
        return None
    codes = ACCOUNT_CODES
    postgresql = current_db().vendor == "postgresql"
    reserved = "".join(
        f", nextval(pg_get_serial_sequence('{model._meta.db_table}', '{model._meta.pk.column}'))"
        for model in (reserve if postgresql else ())
    )
    sql = LINE_LOCK_SQL.format(
        codes=", ".join(["%s"] * len(codes)),
        count=len(codes),
        share=" FOR SHARE" if postgresql else "",
        reserved=reserved,
        lock=" FOR UPDATE OF l" if postgresql else "",
    )
    params = [*codes, user_id, BusinessDate.SINGLETON_PK, CreditRules.SINGLETON_PK, line_id]
    pipelined()
    with prepared_cursor() as cursor, prepared_cursor(2) as loans_cursor:
        cursor.execute(sql, params)
        if loans:
            loans_select(loans_cursor, line_id)
        row = cursor.fetchone()
        first_read_done()  # the Idempotency-Key's check, answered in the same round trip (core.idempotency)
        open_loans = loans_read(loans_cursor, line_id) if loans else []
    if row is None:
        return None
    return LockedLine(
        id=row[0],
        household_id=row[1],
        borrower_id=row[2],
        status=row[3],
        limit_fen=row[4],
        outstanding_principal_fen=row[5],
        grade=row[6],
        rate=Decimal(row[7]),
        start_date=as_date(row[8]),
        end_date=as_date(row[9]),
        frozen_by_eod=bool(row[10]),
        has_past_due_loan=bool(row[11]),
        loan_term_months=row[12],
        penalty_multiplier=None if row[13] is None else Decimal(row[13]),
        thresholds=None if row[12] is None else Thresholds(*row[14:17]),
        chart_complete=bool(row[17]),
        scope=ScopeFacts(row[18], row[19], row[20], bool(row[21])),
        today=None if row[22] is None else as_date(row[22]),
        reserved_ids=dict(zip(reserve, row[23:], strict=False)),
        open_loans=open_loans,
    )


def now_param():
    return connection.ops.adapt_datetimefield_value(timezone.now())


def date_param(day: datetime.date):
    return connection.ops.adapt_datefield_value(day)


def line_principal_move(line_id: int, change_fen: int) -> None:
    write_unanswered(
        "UPDATE credit_creditline SET outstanding_principal_fen = outstanding_principal_fen + %s WHERE id = %s",
        [change_fen, line_id],
    )


def line_model(line: LockedLine) -> CreditLine:
    """The line as a model instance (not read again) for the answer of a posting; the fields a posting does not
    read load if asked for."""
    values = [getattr(line, name) for name in LINE_MODEL_FIELDS]
    return CreditLine.from_db(DEFAULT_DB_ALIAS, LINE_MODEL_FIELDS, values)


# The fields of a LockedLine, in the model's order (from_db builds the instance from positional values)
LINE_MODEL_FIELDS = [
    f.attname for f in CreditLine._meta.concrete_fields if f.attname in LockedLine.__dataclass_fields__
]


JOURNAL_INSERT = (
    "INSERT INTO credit_journal (kind, business_date, line_id, reverses_id, actor_id, created_at) "
    "SELECT %s, %s{date}, %s{bigint}, %s{bigint}, %s{int}, %s{timestamp} "
    "WHERE (SELECT COUNT(*) FROM credit_account WHERE code IN ({codes})) = {count} "
    "RETURNING id"
)

POSTGRESQL_CASTS = {"date": "::date", "bigint": "::bigint", "int": "::integer", "timestamp": "::timestamptz"}


def journal_insert(journal: Journal) -> bool:
    """INSERT the journal (its id set on it) — unless the chart of accounts is incomplete (False: nothing
    written), which only a test that emptied the database sees; then the caller makes the chart and retries."""
    journal.created_at = timezone.now()
    codes = ACCOUNT_CODES
    # INSERT … SELECT types its parameters by the SELECT, not by the columns: PostgreSQL is told them
    casts = POSTGRESQL_CASTS if connection.vendor == "postgresql" else dict.fromkeys(POSTGRESQL_CASTS, "")
    sql = JOURNAL_INSERT.format(codes=", ".join(["%s"] * len(codes)), count=len(codes), **casts)
    params = [
        journal.kind,
        date_param(journal.business_date),
        journal.line_id,
        journal.reverses_id,
        journal.actor_id,
        connection.ops.adapt_datetimefield_value(journal.created_at),
        *codes,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    journal.pk = row[0]
    journal._state.adding = False
    return True


def legs_insert(journal_id: int, legs) -> None:
    """The legs in one statement, each account found by its code inside it."""
    values = ", ".join(["(%s, (SELECT id FROM credit_account WHERE code = %s), %s, %s)"] * len(legs))
    params = [value for leg in legs for value in (journal_id, leg.account, leg.loan_id, leg.amount_fen)]
    write_unanswered(f"INSERT INTO credit_leg (journal_id, account_id, loan_id, amount_fen) VALUES {values}", params)  # noqa: S608


LOAN_DUE_COLUMNS = (
    "id",
    "outstanding_principal_fen",
    "principal_fen",
    "drawn_on",
    "maturity",
    "interest_due_since",
    "dpd",
    "classification",
    "penalty_due_fen",
    "penalty_accrued_fen",
    "interest_due_fen",
    "interest_accrued_fen",
)
LOAN_OPEN_SQL = (
    "(outstanding_principal_fen > 0 OR interest_accrued_fen > 0 OR penalty_accrued_fen > 0 "
    "OR interest_due_fen > 0 OR penalty_due_fen > 0)"
)


def loans_select(cursor, line_id: int) -> None:
    """The line's open loans with what a repayment needs of them (models.LOAN_OPEN in SQL); read by loans_read."""
    cursor.execute(
        f"SELECT {', '.join(LOAN_DUE_COLUMNS)} FROM credit_loan "  # noqa: S608 — constant column names
        f"WHERE line_id = %s AND {LOAN_OPEN_SQL} ORDER BY drawn_on, id",
        [line_id],
    )


def loans_read(cursor, line_id: int) -> list[Loan]:
    loans = []
    for row in cursor.fetchall():
        values = dict(zip(LOAN_DUE_COLUMNS, row, strict=True), line_id=line_id)
        for name in ("drawn_on", "maturity"):
            values[name] = as_date(values[name])
        if values["interest_due_since"] is not None:
            values["interest_due_since"] = as_date(values["interest_due_since"])
        loans.append(Loan.from_db(DEFAULT_DB_ALIAS, LOAN_MODEL_FIELDS, [values[name] for name in LOAN_MODEL_FIELDS]))
    return loans


# LOAN_DUE_COLUMNS and the line in the model's field order (from_db builds the instance from positional values)
LOAN_MODEL_FIELDS = [f.attname for f in Loan._meta.concrete_fields if f.attname in {*LOAN_DUE_COLUMNS, "line_id"}]


def loan_update(loan: Loan, fields: tuple[str, ...]) -> None:
    """UPDATE those fields of the loan (values prepared by their model fields)."""
    write_unanswered(_loan_update_sql(fields), [*field_values(loan, fields), loan.pk])


@functools.cache
def _loan_update_sql(fields: tuple[str, ...]) -> str:
    assignments = ", ".join(f"{Loan._meta.get_field(name).column} = %s" for name in fields)
    return f"UPDATE credit_loan SET {assignments} WHERE id = %s"  # noqa: S608 — column names from the model


def line_thaw(line_id: int) -> None:
    """Active again, after end of day froze it. Its own statement: the line's principal move may be held
    (core.bulk.write_unanswered), and one statement must not change a row twice."""
    with prepared_cursor() as cursor:
        cursor.execute(
            "UPDATE credit_creditline SET status = %s, frozen_by_eod = %s, updated_at = %s WHERE id = %s",
            [CreditLine.Status.ACTIVE, False, now_param(), line_id],
        )


def line_scope_facts(line_id: int, user_id: int) -> ScopeFacts | None:
    """Who may see a line (and whether user `user_id` is of its household); None if there is no such line."""
    if not row_id_possible(line_id):
        return None
    with prepared_cursor() as cursor:
        cursor.execute(
            f"SELECT {SCOPE_COLUMNS} FROM credit_creditline l {SCOPE_JOINS} WHERE l.id = %s",  # noqa: S608
            [user_id, line_id],
        )
        row = cursor.fetchone()
    return None if row is None else ScopeFacts(row[0], row[1], row[2], bool(row[3]))
