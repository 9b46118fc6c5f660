"""Fault injection for the crash tests: fail the N-th database write of an action, and a fingerprint of the whole
database to prove that a failed action left nothing behind."""

import re
from contextlib import contextmanager

from django.apps import apps
from django.db import connection

from puhui.credit.models import CreditLine, EodRun, Journal, Leg, Loan
from puhui.deliberation.models import ApprovalBatch, Campaign, Notice, Objection, Proposal, Round, RoundHousehold

# Reads, locks and transaction control are not writes; everything else (INSERT, UPDATE, DELETE, CTEs that write,
# CREATE TEMPORARY TABLE … AS) is.
NOT_A_WRITE = re.compile(r"^\s*(SELECT|SAVEPOINT|RELEASE|ROLLBACK|COMMIT|BEGIN|SET|SHOW|PRAGMA)\b", re.IGNORECASE)
# The state whose every value must come back after a failure (row counts cover everything else).
WATCHED = {
    CreditLine: ["status", "outstanding_principal_fen", "frozen_by_eod"],
    Loan: [
        "outstanding_principal_fen", "interest_accrued_fen", "penalty_accrued_fen", "interest_due_fen",
        "penalty_due_fen", "dpd", "classification", "accrued_through",
    ],
    Journal: ["kind", "business_date", "reverses_id"],
    Leg: ["account_id", "amount_fen", "loan_id"],
    Campaign: ["stage"],
    Round: ["status"],
    RoundHousehold: ["outcome", "panel_amount_fen"],
    Proposal: ["status", "limit_fen", "grade", "grey_decision", "batch_id", "notice_id", "line_id"],
    Notice: ["ends_on"],
    Objection: ["status", "resolved_at"],
    ApprovalBatch: ["status"],
}  # fmt: skip


class InjectedFault(Exception):
    """The failure forced at one write step."""


@contextmanager
def fail_at_write(n: int | None):
    """Raise InjectedFault instead of the n-th write (None: fail none); yields the running count of writes."""
    seen = {"writes": 0}

    def wrapper(execute, sql, params, many, context):
        if not NOT_A_WRITE.match(sql):
            seen["writes"] += 1
            if seen["writes"] == n:
                raise InjectedFault(f"write {n}: {sql[:80]}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield seen


def fingerprint(*, ignore=(EodRun,)) -> dict:
    """Row counts of every table and the watched values, as of now."""
    state = {}
    for model in apps.get_models():
        if model._meta.managed and not model._meta.proxy and model not in ignore:
            state[model._meta.db_table] = model.objects.count()
    for model, fields in WATCHED.items():
        state[f"{model._meta.db_table} values"] = list(model.objects.order_by("pk").values_list("pk", *fields))
    return state


def crash_at_every_write(action, *, ignore=(EodRun,)):
    """Run `action` failing at its 1st, 2nd, … write; after each failure the database must be exactly as before.
    The first run that gets through (it has fewer writes than the one to fail) is kept: returns its result and its
    number of writes, each of which was failed once before."""
    before = fingerprint(ignore=ignore)
    n = 1
    while True:
        try:
            with fail_at_write(n) as seen:
                result = action()
        except InjectedFault:
            after = fingerprint(ignore=ignore)
            changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
            assert not changed, f"a failure at write {n} left a partial change: {changed}"
            n += 1
            continue
        assert seen["writes"] == n - 1, (seen["writes"], n - 1)  # no fault was swallowed on the way
        return result, n - 1
