"""On PostgreSQL the database itself refuses an unbalanced journal and any change to posted ledger rows."""

import pytest
from django.db import IntegrityError, connection, transaction

from puhui.credit.ledger import LegSpec, UnbalancedJournal, account_ids, journal_post
from puhui.credit.models import Account, Journal, Leg
from puhui.org import roles
from tests.credit.test_money_services import START, make_line

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="database triggers: PostgreSQL only")


def raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.mark.django_db(transaction=True)
def test_raw_unbalanced_journal_is_refused_at_commit(world):
    accounts = account_ids()  # a transactional test before this one may have flushed the chart
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw("INSERT INTO credit_journal (kind, business_date, created_at) VALUES ('drawdown', %s, now())", [START])
        raw(
            "INSERT INTO credit_leg (journal_id, account_id, amount_fen) SELECT max(id), %s, 100 FROM credit_journal",
            [accounts["1301"]],
        )
    assert not Leg.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_posted_legs_and_journals_cannot_change(world):
    from puhui.credit.services import line_drawdown

    line = make_line(world)
    line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=100, channel="mobile")
    for sql in (
        "UPDATE credit_leg SET amount_fen = amount_fen * 2",
        "DELETE FROM credit_leg",
        "UPDATE credit_journal SET kind = 'reversal'",
        "DELETE FROM credit_journal",
    ):
        with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
            raw(sql)
    assert Leg.objects.count() == 2 and Journal.objects.count() == 1


def test_service_layer_refuses_unbalanced_legs_on_any_database(db):
    with pytest.raises(UnbalancedJournal):
        journal_post(kind="drawdown", business_date=START, legs=[LegSpec(Account.Code.LOAN_PRINCIPAL, 100)])


@pytest.mark.django_db(transaction=True)
def test_a_leg_cannot_join_a_journal_of_an_earlier_transaction(world):
    from puhui.credit.services import line_drawdown

    line = make_line(world)
    line_drawdown(user=world.users[roles.FARMER], line_id=line.pk, amount_fen=100, channel="mobile")
    journal, accounts = Journal.objects.get(), account_ids()
    with pytest.raises(IntegrityError, match="never changed"), transaction.atomic():
        # balanced in itself, but it would change a journal already posted
        raw(
            "INSERT INTO credit_leg (journal_id, account_id, amount_fen) VALUES (%s, %s, 5), (%s, %s, -5)",
            [journal.pk, accounts["1301"], journal.pk, accounts["2241"]],
        )
    assert Leg.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_journal_without_legs_is_refused_at_commit(world):
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic():
        raw("INSERT INTO credit_journal (kind, business_date, created_at) VALUES ('accrual', %s, now())", [START])
    assert not Journal.objects.exists()
