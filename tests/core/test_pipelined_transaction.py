"""A pipelined block that commits its own transaction (core.bulk.pipelined) sends neither BEGIN nor COMMIT:
its statements are the pipeline's implicit transaction, which the closing Sync commits. Whatever way the block
ends — committed, refused by a rule before or after its writes, paused for a rare path, refused by the database
at the commit — its rows are all kept or all undone, the connection is left as Django expects it (autocommit
back on, usable at once), and PostgreSQL warns of nothing."""

import pytest
from django.db import IntegrityError, connection, transaction

from puhui.core.bulk import pipeline_allowed, pipeline_paused, pipelined, prepared_cursor, write_unanswered
from puhui.credit.ledger import account_ids
from tests.credit.test_money_services import START

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

SCRATCH = "puhui_test_pipelined"


class Refused(Exception):
    pass


@pytest.fixture(autouse=True)
def no_warning():
    """PostgreSQL's notices to the connection while the test runs: none may be a warning (a transaction command
    outside a transaction block, say, which the server would also log at every posting)."""
    connection.ensure_connection()
    driver, warnings = connection.connection, []

    def heard(notice) -> None:  # a notice's fields are readable only while its handler runs
        if notice.severity_nonlocalized == "WARNING":
            warnings.append(notice.message_primary)

    driver.add_notice_handler(heard)
    yield
    driver.remove_notice_handler(heard)
    assert warnings == []


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


def count_now() -> int:
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {SCRATCH}")  # noqa: S608
        return cursor.fetchone()[0]


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


@pytest.fixture
def statements():
    """The statements the test sends, in order (Django's cursors and ours)."""
    sent = []

    def wrapper(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield sent


def test_a_block_commits_its_rows_without_begin_or_commit(scratch, statements):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        with prepared_cursor() as cursor:  # a read inside the block sees the block's own transaction
            cursor.execute(f"SELECT xmin::text::bigint = txid_current() % 4294967296 FROM {SCRATCH}")  # noqa: S608
            assert cursor.fetchone() == (True,)  # the row written in this same transaction, not one of its own
        insert(2)
    assert len(statements) == 4 and not {"BEGIN", "COMMIT"} & set(statements)
    assert statements[-1] == "SELECT puhui_deferred_checks()"  # the deferred constraints checked before the Sync
    assert kept() == [1, 2]
    assert_connection_as_django_expects()


def test_a_block_refused_after_its_writes_keeps_none_of_them(scratch, statements):
    with pytest.raises(Refused), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        raise Refused
    assert statements[-2:] == ["BEGIN", "ROLLBACK"]  # sent before the Sync, which would have committed the row
    assert kept() == []
    assert_connection_as_django_expects()

    with pytest.raises(Refused), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        write_unanswered(f"INSERT INTO {SCRATCH} VALUES (%s)", [2])  # noqa: S608 — held, then sent before the read
        assert count_now() == 1
        raise Refused
    assert kept() == []
    assert_connection_as_django_expects()


def test_a_block_refused_after_reads_only_sends_no_rollback(scratch, statements):
    with pytest.raises(Refused), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        assert count_now() == 0
        write_unanswered(f"INSERT INTO {SCRATCH} VALUES (%s)", [1])  # noqa: S608 — held: never sent
        raise Refused
    assert len(statements) == 1  # the read: the Sync ends a transaction that wrote nothing
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


JOURNAL = "INSERT INTO credit_journal (id, kind, business_date, created_at) VALUES (987654, 'drawdown', %s, now())"
ONE_LEG = "INSERT INTO credit_leg (journal_id, account_id, amount_fen) VALUES (987654, %s, 100)"


@pytest.mark.parametrize("round_", range(5))  # the refusal's bytes and the Sync's may arrive apart or together
@pytest.mark.parametrize("held", [False, True], ids=["sent", "held"])
def test_a_commit_refused_by_the_database_keeps_nothing(scratch, world, statements, held, round_):
    accounts = account_ids()
    with pytest.raises(IntegrityError, match="does not balance"), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        # a journal with one leg: the deferred trigger refuses it, at the deferred checks before the Sync
        if held:  # as a posting writes: held, then sent together
            write_unanswered(JOURNAL, [START])
            write_unanswered(ONE_LEG, [accounts["1301"]])
        else:
            with prepared_cursor() as cursor:
                cursor.execute(JOURNAL, [START])
                cursor.execute(ONE_LEG, [accounts["1301"]])
    assert statements[-1] == "SELECT puhui_deferred_checks()"
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
