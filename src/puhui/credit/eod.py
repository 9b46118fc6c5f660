"""日终 (end of day): one business date closed for every loan at once, in set-based SQL (DOMAIN §4).

For business date D, in one transaction that holds the business date exclusively (postings hold it shared):

1. accrue: one day of normal, penalty and compound interest per open loan, with credit/interest.py's exact
   units carried as a remainder per loan, so posted fen are the exact accrual rounded once; interest settles on
   the settlement day (the 20th) and at maturity, due the next day;
2. post: one accrual journal — a receivable leg per loan, the income legs in total;
3. classify: days past due as of D + 1 and the five categories (credit/classify.py's bands, generated here);
4. lines: freeze lines with a loan past due, lift the freezes end of day made once cured, expire lines;
5. advance the business date to D + 1 and mark the run succeeded.

A date is closed once (the run row is unique per date; a second run of D changes nothing). A crash rolls the
whole day back, so running again gives the same books as an uninterrupted run.
"""

import datetime
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from puhui.core.models import BusinessDate, JobRun
from puhui.core.selectors import business_date_current
from puhui.credit import interest
from puhui.credit.classify import Classification, Thresholds
from puhui.credit.errors import CreditRefused
from puhui.credit.ledger import account_ids
from puhui.credit.models import Account, CreditLine, CreditRules, EodRun, Journal, Leg, Loan
from puhui.credit.selectors import classification_thresholds, credit_rules

STEPS = ("accrue", "post", "classify", "lines")
EOD_JOB = "eod"
Progress = Callable[[datetime.date, str, int], None]  # (date, step, steps done of len(STEPS))

LOAN, LINE, LEG = Loan._meta.db_table, CreditLine._meta.db_table, Leg._meta.db_table
OPEN = (
    "(outstanding_principal_fen > 0 OR interest_accrued_fen > 0 OR penalty_accrued_fen > 0"
    " OR interest_due_fen > 0 OR penalty_due_fen > 0)"
)


def eod_run(
    *, user, until: datetime.date | None = None, progress: Progress | None = None, snapshot: bool = True
) -> list[EodRun]:
    """Close the current business date, or every date up to and including `until` (`snapshot`: see eod_day)."""
    runs = []
    while True:
        day = business_date_current()
        if until is not None and day > until:
            return runs
        runs.append(eod_day(user=user, business_date=day, progress=progress, snapshot=snapshot))
        if business_date_current() <= day:  # closed before, yet the date was set back: never loop on it
            raise CreditRefused("eod_already_closed", business_date=day.isoformat())
        if until is None:
            return runs


MAX_DAYS_PER_JOB = 366


def eod_start(*, user, until: datetime.date) -> JobRun:
    """Queue end of day up to `until` as a background job (the head-office page); one such job at a time."""
    from puhui.credit.tasks import eod_job

    today = business_date_current()
    if until < today:
        raise CreditRefused("eod_already_closed", business_date=today.isoformat())
    days = (until - today).days + 1
    if days > MAX_DAYS_PER_JOB:
        raise CreditRefused("eod_too_many_days", days=days, most=MAX_DAYS_PER_JOB)
    # the business-date lock already keeps two runs apart; this only spares the user a queue of jobs. A job
    # that a crash left unfinished stops counting after a while: its dates are resumed by the next run.
    recent = timezone.now() - datetime.timedelta(hours=2)
    with transaction.atomic():
        unfinished = JobRun.objects.select_for_update().filter(
            kind=EOD_JOB, status__in=[JobRun.Status.QUEUED, JobRun.Status.RUNNING], created_at__gte=recent
        )
        if unfinished.exists():
            raise CreditRefused("eod_in_progress")
        job = JobRun.objects.create(kind=EOD_JOB, owner=user, total=days, input_name=until.isoformat())
        transaction.on_commit(lambda: eod_job.enqueue(job.pk))
    return job


def eod_day(*, user, business_date: datetime.date, progress: Progress | None = None, snapshot: bool = True) -> EodRun:
    """Close one business date; a date already closed is returned as it was. `snapshot`: store the day's plan
    indicators (KpiSnapshot) — always, except where a replay of history chooses its dates (the demo)."""
    run = _run_claim(business_date, user)
    if run.status == EodRun.Status.SUCCEEDED:
        return run
    try:
        with transaction.atomic():
            current = BusinessDate.objects.select_for_update().get(pk=BusinessDate.SINGLETON_PK).business_date
            run.refresh_from_db()
            if run.status == EodRun.Status.SUCCEEDED:  # another process closed it while this one waited
                return run
            if current != business_date:
                raise CreditRefused("eod_not_business_date", business_date=current.isoformat())
            counts = _day_close(run.pk, business_date, credit_rules(), progress or _quiet)
            if snapshot:  # the day's plan indicators, exact, before the date moves on (kpi reads credit)
                from puhui.kpi.snapshots import kpi_snapshot_take

                counts["kpi_snapshot_rows"] = kpi_snapshot_take(date=business_date, current=True)
            BusinessDate.objects.filter(pk=BusinessDate.SINGLETON_PK).update(
                business_date=business_date + datetime.timedelta(days=1), updated_at=timezone.now()
            )
            run.status, run.counts, run.error, run.finished_at = EodRun.Status.SUCCEEDED, counts, "", timezone.now()
            run.save(update_fields=["status", "counts", "error", "finished_at"])
    except Exception as exc:
        EodRun.objects.filter(pk=run.pk).update(status=EodRun.Status.FAILED, error=repr(exc)[:2000])
        raise
    return run


def _run_claim(business_date: datetime.date, user) -> EodRun:
    """The date's run row, made or taken over (a run left `running` or `failed` by a crash is resumed)."""
    with transaction.atomic():
        run, created = EodRun.objects.select_for_update().get_or_create(
            business_date=business_date, defaults={"started_by": user, "started_at": timezone.now()}
        )
        if not created and run.status != EodRun.Status.SUCCEEDED:
            run.attempts += 1
            run.status, run.started_by, run.started_at = EodRun.Status.RUNNING, user, timezone.now()
            run.save(update_fields=["attempts", "status", "started_by", "started_at"])
    return run


def _quiet(day: datetime.date, step: str, done: int) -> None:
    return None


def _day_close(run_id: int, day: datetime.date, rules: CreditRules, progress: Progress) -> dict:
    counts: dict[str, int] = {}
    with connection.cursor() as cursor:
        progress(day, STEPS[0], 0)
        counts["loans_accrued"], totals = _accrue(cursor, run_id, day, rules)
        progress(day, STEPS[1], 1)
        counts.update(_post(cursor, run_id, day, totals))
        progress(day, STEPS[2], 2)
        counts["loans_reclassified"] = _classify(cursor, day, classification_thresholds(rules))
        progress(day, STEPS[3], 3)
        counts.update(_lines(cursor, day))
        progress(day, "done", 4)
    return counts


def _param(day: datetime.date):
    """A date as the backend stores it (ISO text on SQLite)."""
    return connection.ops.adapt_datefield_value(day)


def _accrue_sql(rules: CreditRules) -> str:
    """The accrual and settlement of one day for every open loan (interest.accrue_loan_day, settle_loan)."""
    base = {  # one day's exact units per kind (interest.daily_interest_units)
        "normal": "(CASE WHEN maturity > %(day)s THEN outstanding_principal_fen ELSE 0 END) * rate_scaled",
        "penalty": "(CASE WHEN maturity > %(day)s THEN 0 ELSE outstanding_principal_fen END) * penalty_rate_scaled",
        "compound": "(interest_due_fen + penalty_due_fen) * penalty_rate_scaled" if rules.compound_interest else "0",
    }
    # whole fen posted today per kind: round_half_up(remainder + today's units); the operand is never negative
    post = {kind: f"(({kind}_remainder_units + {units} + %(half)s) / %(unit)s)" for kind, units in base.items()}
    penalty_today = f"({post['penalty']} + {post['compound']})"
    settles = "(%(settlement_day)s OR maturity = %(next_day)s)"
    remainders = ",\n".join(
        f"{kind}_remainder_units = {kind}_remainder_units + {base[kind]} - {post[kind]} * %(unit)s"
        for kind in ("normal", "penalty", "compound")
    )
    return f"""
        UPDATE {LOAN} SET
            {remainders},
            accrual_day_interest_fen = {post["normal"]},
            accrual_day_penalty_fen = {penalty_today},
            interest_due_fen = CASE WHEN {settles}
                THEN interest_due_fen + interest_accrued_fen + {post["normal"]} ELSE interest_due_fen END,
            penalty_due_fen = CASE WHEN {settles}
                THEN penalty_due_fen + penalty_accrued_fen + {penalty_today} ELSE penalty_due_fen END,
            interest_due_since = CASE
                WHEN {settles} AND interest_due_since IS NULL
                     AND interest_accrued_fen + penalty_accrued_fen + {post["normal"]} + {penalty_today} > 0
                THEN %(next_day)s ELSE interest_due_since END,
            interest_accrued_fen = CASE WHEN {settles} THEN 0 ELSE interest_accrued_fen + {post["normal"]} END,
            penalty_accrued_fen = CASE WHEN {settles} THEN 0 ELSE penalty_accrued_fen + {penalty_today} END,
            accrued_through = %(day)s,
            accrual_run_id = %(run)s
        WHERE drawn_on <= %(day)s AND (accrued_through IS NULL OR accrued_through < %(day)s) AND {OPEN}
    """


def _accrue(cursor, run_id: int, day: datetime.date, rules: CreditRules) -> tuple[int, tuple | None]:
    """Loans accrued, and on PostgreSQL the day's (legs, interest, penalty) summed in the same pass."""
    next_day = day + datetime.timedelta(days=1)
    sql = _accrue_sql(rules)
    if connection.vendor == "postgresql":  # one pass: the update returns what the journal needs
        sql = (
            f"WITH accrued AS ({sql} RETURNING accrual_day_interest_fen AS i, accrual_day_penalty_fen AS p)"
            " SELECT COUNT(*), COUNT(*) FILTER (WHERE i + p > 0), COALESCE(SUM(i), 0), COALESCE(SUM(p), 0)"
            " FROM accrued"
        )
    cursor.execute(
        sql,
        {
            "run": run_id,
            "day": _param(day),
            "next_day": _param(next_day),
            "settlement_day": interest.is_settlement_day(day, rules.settlement_day),
            "unit": interest.UNITS_PER_FEN,
            "half": interest.UNITS_PER_FEN // 2,
        },
    )
    if connection.vendor == "postgresql":
        accrued, *totals = map(int, cursor.fetchone())  # PostgreSQL sums bigint as numeric
        return accrued, tuple(totals)
    return cursor.rowcount, None


def _post(cursor, run_id: int, day: datetime.date, totals: tuple | None) -> dict[str, int]:
    """One accrual journal: Dr interest receivable per loan, Cr interest income and penalty income in total."""
    if totals is None:
        cursor.execute(
            f"SELECT COUNT(*), COALESCE(SUM(accrual_day_interest_fen), 0), COALESCE(SUM(accrual_day_penalty_fen), 0)"
            f" FROM {LOAN} WHERE accrual_run_id = %s AND accrual_day_interest_fen + accrual_day_penalty_fen > 0",
            [run_id],
        )
        totals = tuple(map(int, cursor.fetchone()))
    legs, interest_fen, penalty_fen = totals
    if not legs:
        return {"interest_fen": 0, "penalty_fen": 0}
    accounts = account_ids()
    journal = Journal.objects.create(kind=Journal.Kind.ACCRUAL, business_date=day)
    cursor.execute(
        f"INSERT INTO {LEG} (journal_id, account_id, loan_id, amount_fen)"
        f" SELECT %s, %s, id, accrual_day_interest_fen + accrual_day_penalty_fen FROM {LOAN}"
        f" WHERE accrual_run_id = %s AND accrual_day_interest_fen + accrual_day_penalty_fen > 0",
        [journal.pk, accounts[Account.Code.INTEREST_RECEIVABLE], run_id],
    )
    income = [(Account.Code.INTEREST_INCOME, interest_fen), (Account.Code.PENALTY_INCOME, penalty_fen)]
    Leg.objects.bulk_create(
        Leg(journal=journal, account_id=accounts[code], amount_fen=-amount) for code, amount in income if amount
    )
    return {"interest_fen": interest_fen, "penalty_fen": penalty_fen}


def _days_since(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later}::date - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _classify(cursor, day: datetime.date, thresholds: Thresholds) -> int:
    """DPD as of the next business date from the oldest unpaid due date, and its category; the number of loans
    whose category changed."""
    least = "LEAST" if connection.vendor == "postgresql" else "MIN"
    matured = "(CASE WHEN outstanding_principal_fen > 0 THEN maturity END)"
    oldest = f"{least}(COALESCE(interest_due_since, {matured}), COALESCE({matured}, interest_due_since))"
    overdue_days = _days_since("%(next_day)s", oldest)
    dpd = f"(CASE WHEN {oldest} IS NULL OR {oldest} >= %(next_day)s THEN 0 ELSE {overdue_days} END)"
    category = (
        f"CASE WHEN {dpd} = 0 THEN '{Classification.NORMAL}'"
        f" WHEN {dpd} <= {thresholds.special_mention_max} THEN '{Classification.SPECIAL_MENTION}'"
        f" WHEN {dpd} <= {thresholds.substandard_max} THEN '{Classification.SUBSTANDARD}'"
        f" WHEN {dpd} <= {thresholds.doubtful_max} THEN '{Classification.DOUBTFUL}'"
        f" ELSE '{Classification.LOSS}' END"
    )
    # cheap columns first: a loan not past due, with no unpaid settled interest and not matured stays normal
    may_change = (
        f"(dpd > 0 OR classification <> '{Classification.NORMAL}' OR interest_due_since IS NOT NULL"
        f" OR (outstanding_principal_fen > 0 AND maturity <= %(next_day)s))"
    )
    params = {"next_day": _param(day + datetime.timedelta(days=1))}
    # the loans whose category changes (counted: the day's reclassifications), then those whose DPD only moves —
    # past due before and after (a loan is past due exactly when its category is not normal), found through the
    # partial index of past-due loans
    set_both = f"UPDATE {LOAN} SET dpd = {dpd}, classification = {category}"
    cursor.execute(f"{set_both} WHERE {may_change} AND classification <> {category}", params)
    reclassified = cursor.rowcount
    cursor.execute(f"UPDATE {LOAN} SET dpd = {dpd} WHERE dpd > 0 AND dpd <> {dpd}", params)
    return reclassified


def _lines(cursor, day: datetime.date) -> dict[str, int]:
    """Freeze lines with a loan past due (关注 or worse), thaw the cured ones end of day froze, expire."""
    active, frozen, expired = CreditLine.Status.ACTIVE, CreditLine.Status.FROZEN, CreditLine.Status.EXPIRED
    params = {
        "now": connection.ops.adapt_datetimefield_value(timezone.now()),
        "next_day": _param(day + datetime.timedelta(days=1)),
        "yes": True,
        "no": False,
    }
    past_due = f"SELECT line_id FROM {LOAN} WHERE dpd > 0"
    statements = {
        "lines_frozen": f"UPDATE {LINE} SET status = '{frozen}', frozen_by_eod = %(yes)s, updated_at = %(now)s"
        f" WHERE status = '{active}' AND id IN ({past_due})",
        "lines_thawed": f"UPDATE {LINE} SET status = '{active}', frozen_by_eod = %(no)s, updated_at = %(now)s"
        f" WHERE status = '{frozen}' AND frozen_by_eod = %(yes)s AND id NOT IN ({past_due})",
        "lines_expired": f"UPDATE {LINE} SET status = '{expired}', frozen_by_eod = %(no)s, updated_at = %(now)s"
        f" WHERE status IN ('{active}', '{frozen}') AND end_date <= %(next_day)s",
    }
    counts = {}
    for name, sql in statements.items():
        cursor.execute(sql, params)
        counts[name] = cursor.rowcount
    return counts
