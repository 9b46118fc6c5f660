"""Writes nobody reads the answer of (core.bulk.write_unanswered) are held in a block that commits its own
pipelined transaction and go out together as one statement before the block's next one: the rows are those the
separate statements would have written, in the same order relative to reads, and all kept or all undone."""

import pytest
from django.db import IntegrityError, connection, transaction

from puhui.core.bulk import (
    PQTRANS_IDLE,
    _writes_together_sql,
    pipeline_allowed,
    pipeline_paused,
    pipelined,
    prepared_cursor,
    write_unanswered,
)

SCRATCH = "puhui_test_held"
postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode: PostgreSQL")


@pytest.fixture
def scratch(db):
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {SCRATCH} (n integer PRIMARY KEY, note varchar(20) NOT NULL DEFAULT '')")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {SCRATCH}")


@pytest.fixture
def statements():
    """The statements sent to the database while the test runs (those of Django's cursors and ours), in the
    order they went out: a statement's held writes go out from inside its execution, so each is noted after."""
    sent = []

    def wrapper(execute, sql, params, many, context):
        try:
            return execute(sql, params, many, context)
        finally:
            sent.append(sql)

    with connection.execute_wrapper(wrapper):
        yield sent


def insert(n: int, note: str = "") -> None:
    write_unanswered(f"INSERT INTO {SCRATCH} (n, note) VALUES (%s, %s)", [n, note])  # noqa: S608


def kept() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n, note FROM {SCRATCH} ORDER BY n")  # noqa: S608
        return cursor.fetchall()


def count_now() -> int:
    with prepared_cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {SCRATCH}")  # noqa: S608
        return cursor.fetchone()[0]


def test_the_sql_of_writes_together():
    assert _writes_together_sql(("INSERT INTO t VALUES (%s)",)) == "INSERT INTO t VALUES ($1)"
    together = _writes_together_sql(("INSERT INTO t VALUES (%s, %s)", "UPDATE u SET a = %s WHERE id = %s"))
    assert together == "WITH w0 AS (INSERT INTO t VALUES ($1, $2)) UPDATE u SET a = $3 WHERE id = $4"
    with pytest.raises(ValueError, match="literal %"):
        _writes_together_sql(("UPDATE t SET a = a %% 2",))


@postgresql
@pytest.mark.django_db(transaction=True)
def test_writes_held_go_out_as_one_statement_at_the_end_of_the_block(scratch, statements):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1, "一")
        insert(2, "二")
        write_unanswered(f"UPDATE {SCRATCH} SET note = %s WHERE n = %s", ["零", 0])  # noqa: S608 — no such row
        insert(3, "三")
    assert kept() == [(1, "一"), (2, "二"), (3, "三")]
    writes = [sql for sql in statements if SCRATCH in sql]
    assert len(writes) == 2, writes  # the four writes in one statement, then the test's read
    assert writes[0].startswith("WITH w0 AS (INSERT") and writes[0].count("$") == 8
    # the block's one write, then the deferred checks; neither BEGIN nor COMMIT (the pipeline's Sync commits)
    assert statements == [writes[0], "SELECT puhui_deferred_checks()", writes[1]]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_read_after_held_writes_sees_them(scratch, statements):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        insert(2)
        assert count_now() == 2  # the held writes went out before the read
        insert(3)
        pipeline_paused()  # pausing sends what is held
        assert count_now() == 3
    assert [n for n, _ in kept()] == [1, 2, 3]


@postgresql
@pytest.mark.django_db(transaction=True)
def test_a_refused_held_write_undoes_the_whole_block(scratch):
    with transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
    with pytest.raises(IntegrityError), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(2)
        insert(1)  # the primary key taken: the statement of both writes is refused at the COMMIT
        insert(3)
    assert kept() == [(1, "")]
    assert connection.get_autocommit() and connection.connection.info.transaction_status.name == "IDLE"


@postgresql
@pytest.mark.django_db(transaction=True)
def test_writes_held_in_a_failed_block_are_never_sent(scratch, statements):
    with pytest.raises(RuntimeError), transaction.atomic(), pipeline_allowed(commit=True):
        pipelined()
        insert(1)
        raise RuntimeError("refused by a rule")
    assert kept() == []
    assert not [sql for sql in statements if "INSERT" in sql]


@pytest.mark.django_db(transaction=True)
def test_outside_a_committing_pipelined_block_a_write_runs_at_once(scratch, statements):
    insert(1)  # no block
    with transaction.atomic(), pipeline_allowed(commit=False):  # the outer transaction commits: nothing held
        pipelined()
        insert(2)
        assert count_now() == 2
    with transaction.atomic(), pipeline_allowed(commit=True):  # not pipelined (yet): nothing held
        insert(3)
        assert count_now() == 3
    assert [n for n, _ in kept()] == [1, 2, 3]
    assert len([sql for sql in statements if sql.startswith("INSERT")]) == 3


def test_the_idle_transaction_status_is_libpqs():
    from psycopg.pq import TransactionStatus

    assert PQTRANS_IDLE == TransactionStatus.IDLE
