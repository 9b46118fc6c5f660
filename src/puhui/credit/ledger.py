"""Double-entry posting: every journal balances to zero before it is written (DOMAIN §4 "Ledger")."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from puhui.core.bulk import instance_new, instances_insert
from puhui.credit import posting
from puhui.credit.models import Account, Journal


@dataclass(frozen=True)
class LegSpec:
    account: str  # Account.Code
    amount_fen: int  # debit positive, credit negative
    loan_id: int | None = None


class UnbalancedJournal(AssertionError):
    """A programming error: the legs of a journal do not sum to zero; nothing is written."""


def journal_post(
    *,
    kind: str,
    business_date: datetime.date,
    legs: Sequence[LegSpec],
    line=None,
    actor=None,
    reverses=None,
    journal_id: int | None = None,
) -> Journal:
    """Write one journal and its legs inside the caller's transaction. A `journal_id` reserved by the caller,
    who has made sure the chart of accounts is whole (posting.line_lock), is written without waiting for an
    answer."""
    legs = [leg for leg in legs if leg.amount_fen]
    if not legs or sum(leg.amount_fen for leg in legs) != 0:
        raise UnbalancedJournal([(leg.account, leg.amount_fen) for leg in legs])
    journal = instance_new(
        Journal,
        kind=kind,
        business_date=business_date,
        line_id=_pk(line),
        actor_id=_pk(actor),
        reverses_id=_pk(reverses),
    )
    if journal_id is not None:
        journal.pk = journal_id
        instances_insert([journal])
    elif not posting.journal_insert(journal):
        account_ids()  # the chart is made again (a test emptied the database), then the journal is written
        posting.journal_insert(journal)
    posting.legs_insert(journal.pk, legs)
    return journal


def _pk(instance) -> int | None:
    return None if instance is None else instance.pk if hasattr(instance, "pk") else instance.id


def account_ids() -> dict[str, int]:
    """Account code → id. The chart comes with a migration; it is made again if a test flushed it."""
    ids = dict(Account.objects.values_list("code", "pk"))
    missing = [code for code in Account.Code.values if code not in ids]
    if missing:
        Account.objects.bulk_create([Account(code=code) for code in missing], ignore_conflicts=True)
        ids = dict(Account.objects.values_list("code", "pk"))
    return ids
