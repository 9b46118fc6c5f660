"""Double-entry posting: every journal balances to zero before it is written (DOMAIN §4 "Ledger")."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from puhui.credit.models import Account, Journal, Leg


@dataclass(frozen=True)
class LegSpec:
    account: str  # Account.Code
    amount_fen: int  # debit positive, credit negative
    loan_id: int | None = None


class UnbalancedJournal(AssertionError):
    """A programming error: the legs of a journal do not sum to zero; nothing is written."""


def journal_post(
    *, kind: str, business_date: datetime.date, legs: Sequence[LegSpec], line=None, actor=None, reverses=None
) -> Journal:
    """Write one journal and its legs inside the caller's transaction."""
    legs = [leg for leg in legs if leg.amount_fen]
    if not legs or sum(leg.amount_fen for leg in legs) != 0:
        raise UnbalancedJournal([(leg.account, leg.amount_fen) for leg in legs])
    accounts = account_ids()
    journal = Journal.objects.create(kind=kind, business_date=business_date, line=line, actor=actor, reverses=reverses)
    Leg.objects.bulk_create(
        Leg(journal=journal, account_id=accounts[leg.account], loan_id=leg.loan_id, amount_fen=leg.amount_fen)
        for leg in legs
    )
    return journal


def account_ids() -> dict[str, int]:
    """Account code → id. The chart comes with a migration; it is made again if a test flushed it."""
    ids = dict(Account.objects.values_list("code", "pk"))
    missing = [code for code in Account.Code.values if code not in ids]
    if missing:
        Account.objects.bulk_create([Account(code=code) for code in missing], ignore_conflicts=True)
        ids = dict(Account.objects.values_list("code", "pk"))
    return ids
