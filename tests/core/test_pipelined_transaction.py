"""A pipelined block that commits its own transaction sends its BEGIN with its first statements
(core.bulk.pipelined): whatever way the block ends — committed, refused by a rule, paused for a rare path,
refused by the database at COMMIT — its rows are all kept or all undone, and the connection is left as Django
expects it (autocommit back on, usable at once)."""

import pytest
from django.db import IntegrityError, connection, transaction

from puhui.core.bulk import pipeline_allowed, pipeline_paused, pipelined, prepared_cursor
from puhui.credit.ledger import account_ids
from tests.credit.test_money_services import START

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

SCRATCH = "puhui_test_pipelined"


class Refused(Exception):
    pass


@pytest.fixture
def scratch():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SCRATCH} (n integer PRIMARY KEY)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SCRATCH}")


def insert(n: int) -> None:
    with prepared_cursor() as cursor:
        cursor.execute(f"INSERT INTO {SCRATCH} VALUES (%s)", [n])  # noqa: S608


def kept() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n FROM {SCRATCH} ORDER BY n")  # noqa: S608
        return [n for (n,) in cursor.fetchall()]


def assert_connection_as_django_expects():
    assert connection.get_autocommit() and connection.connection.autocommit
    assert connection.connection.info.transaction_status.name == "IDLE"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_a_block_sends_its_begin_and_commits_its_rows(scratch):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        with prepared_cursor() as cursor:  # a read inside the block sees the block's own transaction
            cursor.execute(f"SELECT xmin::text::bigint = txid_current() % 4294967296 FROM {SCRATCH}")  # noqa: S608
            assert cursor.fetchone() == (True,)  # the row written in this same transaction, not one of its own
        insert(2)
    assert kept() == [1, 2]
    assert_connection_as_django_expects()


def test_a_block_refused_after_its_writes_keeps_none_of_them(scratch):
    with pytest.raises(Refused), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        raise Refused
    assert kept() == []
    assert_connection_as_django_expects()


def test_a_paused_block_still_commits_or_undoes_all_its_rows(scratch):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        pipeline_paused()  # a rare path catching a database error runs unpipelined, in the same transaction
        with pytest.raises(IntegrityError), transaction.atomic():
            insert(1)
        insert(2)
    assert kept() == [1, 2]

    with pytest.raises(Refused), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(3)
        pipeline_paused()
        insert(4)
        raise Refused
    assert kept() == [1, 2]
    assert_connection_as_django_expects()


def test_a_commit_refused_by_the_database_keeps_nothing(scratch, world):
    accounts = account_ids()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        with prepared_cursor() as cursor:  # a journal with one leg: the deferred trigger refuses the COMMIT
            cursor.execute(
                "INSERT INTO credit_journal (kind, business_date, created_at) VALUES ('drawdown', %s, now())", [START]
            )
            one_leg = "INSERT INTO credit_leg (journal_id, account_id, amount_fen) SELECT max(id), %s, 100 FROM "
            one_leg += "credit_journal"
            cursor.execute(one_leg, [accounts["1301"]])
    assert kept() == []
    assert_connection_as_django_expects()


def test_inside_an_outer_transaction_the_block_leaves_the_commit_to_it(scratch):
    with pytest.raises(Refused), transaction.atomic():
        with transaction.atomic(), pipeline_allowed(commit=False):
            pipelined()
            insert(1)
        assert kept() == [1]
        raise Refused  # the outer transaction is undone, the block's row with it
    assert kept() == []
    assert_connection_as_django_expects()
