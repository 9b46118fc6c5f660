"""Set-based inserts for bulk paths (imports, demo): one executemany of ready-made column values.

The ORM's bulk_create builds every value through model instances and field preparation; for 100,000
register rows that is most of the time. Callers pass database-ready values (encrypted text, fen, dates).
"""

import functools
import itertools
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT the rows: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    if connection.vendor == "postgresql":
        _copy_rows(model, fields, rows)
        return
    quote = connection.ops.quote_name
    placeholders = ", ".join(_placeholder(field) for field in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def update_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """UPDATE many rows by primary key in one statement: each row is (pk, *values of `columns`).

    The rows go into a temporary copy of the table's columns (COPY on PostgreSQL), then one UPDATE … FROM
    joins them — instead of bulk_update's CASE per row, which grows with the batch."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk.column
    fields = [model._meta.get_field(name) for name in columns]
    names = ", ".join(quote(f.column) for f in fields)
    scratch = f"puhui_update_{table}"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {scratch} AS SELECT {quote(pk)}, {names} FROM {quote(table)} WHERE 1 = 0"
        )
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {scratch} ({quote(pk)}, {names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * (len(fields) + 1))
            cursor.executemany(f"INSERT INTO {scratch} VALUES ({marks})", rows)
        assignments = ", ".join(f"{quote(f.column)} = {scratch}.{quote(f.column)}" for f in fields)
        target = f"{quote(table)}.{quote(pk)}"
        cursor.execute(f"UPDATE {quote(table)} SET {assignments} FROM {scratch} WHERE {target} = {scratch}.{quote(pk)}")
        cursor.execute(f"DROP TABLE {scratch}")


def _copy_rows(model, fields, rows) -> None:
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _placeholder(field: models.Field) -> str:
    """PostgreSQL is told the type of a value passed as text: a JSON field's JSON, an address field's address."""
    if connection.vendor == "postgresql" and isinstance(field, models.JSONField):
        return "%s::jsonb"
    if connection.vendor == "postgresql" and isinstance(field, models.GenericIPAddressField):
        return "%s::inet"
    return "%s"


def select_where_in(
    select_from: str, column: str, values: Sequence, *, where: str = "", chunk: int = 900
) -> Iterator[tuple]:
    """Rows of `SELECT … FROM … WHERE column IN (values)` with the values as one array parameter.

    Skips the ORM's per-value preparation, which dominates a lookup of 100,000 keys. `where` is a further
    fixed condition (no parameters)."""
    select_from = f"{select_from} WHERE {where + ' AND ' if where else ''}"
    if connection.vendor == "postgresql":  # one round trip with an array parameter
        with connection.cursor() as cursor:
            cursor.execute(f"{select_from}{column} = ANY(%s)", [list(values)])
            yield from cursor.fetchall()
        return
    if connection.vendor == "sqlite":  # one JSON parameter, unpacked by SQLite's json_each in C
        with connection.cursor() as cursor:
            cursor.execute(f"{select_from}{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(values))])
            yield from cursor.fetchall()
        return
    for start in range(0, len(values), chunk):
        part = list(values[start : start + chunk])
        sql = f"{select_from}{column} IN ({', '.join(['%s'] * len(part))})"
        with connection.cursor() as cursor:
            cursor.execute(sql, part)
            yield from cursor.fetchall()


def prepared_cursor(slot: int = 0, *, numbered: bool = False):
    """A cursor whose statements PostgreSQL keeps prepared on the connection (psycopg binds the parameters on
    the server and prepares a statement from its fifth execution, `prepare_threshold` in settings): the money
    path's few statements run thousands of times, and parsing and planning each anew was most of the
    database's share of a posting. Django's own cursors bind on the client and never prepare. Such cursors
    are kept per connection (making a cursor cost more than running a prepared statement); `slot` picks
    another one, for a statement whose answer is read after a later statement's inside `pipelined()`.
    Elsewhere (SQLite) an ordinary cursor. Wrapped like Django's own, so execute wrappers (tests' fault
    injection) still apply. A `numbered` cursor takes PostgreSQL's own placeholders ($1, $2, …) and the
    driver does not parse the statement (a slot is always one kind or the other)."""
    db = current_db()
    if db.vendor != "postgresql":
        return db.cursor()
    if db.connection is None or not db.health_check_done:  # else both would find nothing to do (a posting asks
        db.close_if_health_check_failed()  # for its cursors some thirty times)
        db.ensure_connection()
    kept = db.__dict__.setdefault("puhui_prepared_cursors", {})
    mine = kept.get(slot)
    if mine is None or mine[0] is not db.connection or mine[1] != db.queries_logged or mine[2].cursor.closed:
        from django.db.backends.postgresql.base import ServerBindingCursor
        from psycopg import RawCursor

        with db.wrap_database_errors:
            cursor = db._prepare_cursor((RawCursor if numbered else ServerBindingCursor)(db.connection))
        mine = kept[slot] = (db.connection, db.queries_logged, cursor)
    return _KeptCursor(mine[2])


class _KeptCursor:
    """`with` a cursor kept on its connection: entering gives it, leaving leaves it open."""

    __slots__ = ("cursor",)

    def __init__(self, cursor):
        self.cursor = cursor

    def __enter__(self):
        return self.cursor

    def __exit__(self, *exc_info) -> None:
        return None


def instances_insert(instances: Sequence[models.Model], *, returning: bool = True) -> None:
    """INSERT new instances of one model in one statement, their ids set on them — what `create()` and
    `bulk_create()` write (defaults, auto_now, field preparation) without the query compiler or signals, for
    the few rows of a hot path such as a money posting. Nothing is audited here: the caller does that.

    Instances whose ids were reserved (`ids_reserved` columns of a posting's first read) are written with
    them; so are, with `returning=False`, rows whose ids nobody needs: no answer is waited for
    (`write_unanswered`)."""
    if not instances:
        return
    db = current_db()
    model = type(instances[0])
    with_ids = instances[0].pk is not None
    fields = _insert_fields(model, with_ids, db.vendor)
    values = [
        getattr(instance, field.attname) if plain else field.get_db_prep_save(field.pre_save(instance, add=True), db)
        for instance in instances
        for field, plain in fields
    ]
    fetch = returning and not with_ids
    sql = _insert_sql(model, len(instances), db.vendor, with_ids, fetch)
    if fetch:
        with prepared_cursor() as cursor:
            cursor.execute(sql, values)
            ids = [pk for (pk,) in cursor.fetchall()]
    else:
        write_unanswered(sql, values)
        ids = [instance.pk for instance in instances]
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk  # in the order of the VALUES rows, as bulk_create relies on
        instance._state.adding, instance._state.db = False, db.alias


def rows_insert(model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT rows of database-ready values (of the named fields, in that order) in one statement, with no
    answer awaited (`write_unanswered`). For a hot path's rows that need no model instance: a JSON field's
    value is its JSON text, an IP address field's its text, a date-time the backend's adapted value."""
    if not rows:
        return
    vendor = current_db().vendor
    write_unanswered(_rows_insert_sql(model, tuple(fields), len(rows), vendor), [v for row in rows for v in row])


@functools.cache
def _rows_insert_sql(model: type[models.Model], names: tuple[str, ...], rows: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    row = f"({', '.join(_placeholder(field) for field in fields)})"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)}"
    )


# Fields whose value goes to the database as the instance holds it (a number, text, a flag, a key): neither
# `pre_save` nor the preparation changes it, and preparing ~50 values a posting was a tenth of its CPU. Exact
# types only: a subclass (an encrypted text field, say) prepares its value its own way.
PLAIN_FIELDS = {
    models.AutoField,
    models.BigAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
    models.BooleanField,
    models.CharField,
    models.TextField,
    models.ForeignKey,
}


def field_values(instance: models.Model, names: tuple[str, ...]) -> list:
    """The named fields' values of `instance` as an UPDATE writes them (no `pre_save`): plain values as they are
    (`_plain`, as for an INSERT), the others prepared by their fields."""
    db = current_db()
    return [
        getattr(instance, field.attname) if plain else field.get_db_prep_save(getattr(instance, field.attname), db)
        for field, plain in _named_fields(type(instance), names, db.vendor)
    ]


@functools.cache
def _named_fields(model: type[models.Model], names: tuple[str, ...], vendor: str) -> list[tuple[models.Field, bool]]:
    return [(field, _plain(field, vendor)) for field in map(model._meta.get_field, names)]


# On PostgreSQL also a date (not stamped by auto_now) and a decimal go as they are: psycopg adapts them, and
# Django's PostgreSQL backend passes them through unchanged (SQLite's turns both into text).
PLAIN_FIELDS_POSTGRESQL = {models.DateField, models.DecimalField}


def _plain(field: models.Field, vendor: str) -> bool:
    if type(field) in PLAIN_FIELDS:
        return True
    stamped = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return vendor == "postgresql" and type(field) in PLAIN_FIELDS_POSTGRESQL and not stamped


@functools.cache
def _insert_fields(
    model: type[models.Model], with_ids: bool = False, vendor: str = ""
) -> list[tuple[models.Field, bool]]:
    """(field, whether its value is plain) of the columns an INSERT writes."""
    return [
        (field, _plain(field, vendor)) for field in model._meta.concrete_fields if with_ids or not field.primary_key
    ]


def instance_new(model: type[models.Model], /, **values) -> models.Model:
    """A new (unsaved) instance with these field values (by attname), its other fields at their defaults: built
    positionally, as `from_db` builds one — Model.__init__ with keywords cost a money posting ~130 function calls
    an instance. For `instances_insert`."""
    args = [values.pop(name) if name in values else default(field) for name, field, default in _new_fields(model)]
    if values:
        raise TypeError(f"{model.__name__} has no field {', '.join(values)}")
    return model(*args)


@functools.cache
def _new_fields(model: type[models.Model]) -> list[tuple]:
    """(attname, field, default) of every concrete field; `default(field)` gives the field's default."""
    return [(f.attname, f, _default_of(f)) for f in model._meta.concrete_fields]


def _default_of(field: models.Field):
    if callable(field.default):
        return models.Field.get_default
    return functools.partial(_constant, field.get_default())  # a constant: computed once


def _constant(value, _field):
    return value


@functools.cache
def _insert_sql(model: type[models.Model], rows: int, vendor: str, with_ids: bool, fetch: bool) -> str:
    names = tuple(field.name for field, _ in _insert_fields(model, with_ids, vendor))
    returning = f" RETURNING {connection.ops.quote_name(model._meta.pk.column)}" if fetch else ""
    return _rows_insert_sql(model, names, rows, vendor) + returning


def current_db():
    """The default database's wrapper: inside a `pipeline_allowed()` block the block's own, looked up once —
    Django's lookup (a thread-critical asgiref Local, which raises and catches an exception in a sync thread)
    ran some thirty times a money request."""
    scope = _pipeline_scope.get()
    return connections[DEFAULT_DB_ALIAS] if scope is None else scope.db


@dataclass
class _PipelineScope:
    commit: bool
    db: BaseDatabaseWrapper  # the default database's wrapper (the block runs in one thread)
    running: "_RunningPipeline | None" = None  # the pipeline while it runs
    own_transaction: bool = False  # the block ends the transaction itself, the driver in autocommit (`pipelined()`)
    implicit: bool = False  # that transaction is still the pipeline's implicit one: no BEGIN sent
    wrote: bool = False  # a statement that may write went out in the implicit transaction
    at_first_read: list = field(default_factory=list)  # checks waiting for the block's first read (see below)
    held: list = field(default_factory=list)  # (sql, params) of writes held to go out together (write_unanswered)


_pipeline_scope: ContextVar[_PipelineScope | None] = ContextVar("pipeline_scope", default=None)


@contextmanager
def pipeline_allowed(*, commit: bool = False):
    """A transaction whose statements may be pipelined (PostgreSQL's pipeline mode), from `pipelined()` on:
    each statement goes out at once and only a read waits, for the answers of everything sent before it — so
    a money posting's first reads travel together, and its writes with the end of the transaction when `commit`
    (the caller's outermost transaction: nothing but a successful end of the block may follow). Errors surface
    at the next read or at the end of the block, as Django's database errors. Elsewhere (SQLite) the block runs
    as it is."""
    scope = _PipelineScope(commit, connections[DEFAULT_DB_ALIAS])
    token = _pipeline_scope.set(scope)
    try:
        yield
        if commit and scope.running is not None:
            if scope.implicit:
                # The pipeline's Sync, when it ends (below), commits the implicit transaction: the writes held
                # go out now, then the deferred checks, and that one round trip waits for them and the commit.
                if scope.held:
                    _held_writes_sent(scope)
                if scope.wrote:
                    _deferred_checks_run()
            else:
                # COMMIT as one more pipelined statement (the block's transaction became an explicit one, or
                # was begun before the block): it travels with the writes, and ending the pipeline (below) is
                # the one round trip that waits for them all. Django's own commit finds nothing left to do.
                with prepared_cursor() as cursor:
                    cursor.execute("COMMIT")
    except BaseException as exc:
        running, scope.running = scope.running, None
        scope.held.clear()  # never sent: the transaction is rolled back
        try:
            if running is not None:
                if scope.implicit and scope.wrote:
                    _implicit_transaction_undone()
                running.leave(exc)
            raise
        finally:
            _own_transaction_ended(scope, commit=False)
    else:
        try:
            _pipeline_ended(scope)
        except BaseException:  # the commit was refused (a deferred constraint): the transaction is over
            _own_transaction_ended(scope, commit=False)
            raise
        _own_transaction_ended(scope, commit=True)
    finally:
        _pipeline_scope.reset(token)


def pipelined() -> None:
    """From here to the end of the enclosing `pipeline_allowed()` (or to `pipeline_paused()`), statements are
    pipelined. Code that catches a database error around a statement (a get-or-create) must not run
    pipelined: the error would surface later, elsewhere.

    A block that commits its own transaction and has sent nothing yet sends neither BEGIN nor COMMIT: in
    pipeline mode the statements up to the pipeline's Sync are one implicit transaction of PostgreSQL, which
    the Sync commits (two statements less of a money request's six — for the driver each is as much work as a
    posting's whole INSERT). For that the driver is in autocommit mode until the block ends — Django's
    transaction state does not change. A pause (`pipeline_paused()`) first makes the transaction an explicit
    one, and a failed block that sent a write rolls it back before the Sync (see `pipeline_allowed`)."""
    scope = _pipeline_scope.get()
    db = current_db()
    if scope is None or scope.running is not None or db.vendor != "postgresql":
        return
    db.ensure_connection()
    driver = db.connection
    if scope.commit and not scope.own_transaction and not driver.autocommit and _driver_idle(driver):
        driver.autocommit = True
        scope.own_transaction = scope.implicit = True
    wrapper = functools.partial(_statement_sent, scope) if scope.commit else None
    scope.running = _RunningPipeline(db, driver, wrapper)


class _RunningPipeline:
    """A block's pipeline while it runs: psycopg's pipeline inside Django's error wrapping, with the block's execute
    wrapper (if any) on top — what a contextlib.ExitStack of the three did, at a third of its function calls (it
    ran on every money request)."""

    def __init__(self, db: BaseDatabaseWrapper, driver, wrapper=None) -> None:
        self.db, self.wrapper = db, wrapper
        self.pipeline = driver.pipeline()
        with db.wrap_database_errors:
            self.pipeline.__enter__()
        if wrapper is not None:
            db.execute_wrappers.append(wrapper)

    def leave(self, exc: BaseException | None = None) -> None:
        """Leave the pipeline: its Sync, one round trip for every answer still awaited, whose errors are raised
        as Django's. After a failed block (`exc`) psycopg logs its own errors in leaving instead."""
        if self.wrapper is not None:
            self.db.execute_wrappers.pop()
        with self.db.wrap_database_errors:
            if exc is None:
                self.pipeline.__exit__(None, None, None)
            else:
                self.pipeline.__exit__(type(exc), exc, exc.__traceback__)


def _deferred_checks_run() -> None:
    """The deferred constraints (foreign keys, the ledger's balance) checked now, as one more pipelined statement,
    instead of at the commit by the pipeline's Sync: PostgreSQL's refusal then answers a statement, which psycopg
    raises as it does any statement's error. A refusal at the Sync itself is not one psycopg can take — it left
    the pipeline stuck ("cannot exit pipeline mode while busy") or, when the refusal and the Sync's own result
    came in one read, failed on its result queue and lost the refusal. `SET CONSTRAINTS` in a function: sent as
    it is, PostgreSQL warns that it runs outside a transaction block (the implicit transaction is not one)."""
    with prepared_cursor() as cursor:
        cursor.execute("SELECT puhui_deferred_checks()")


def _driver_idle(driver) -> bool:
    return driver.pgconn.transaction_status == PQTRANS_IDLE


PQTRANS_IDLE = 0  # libpq's transaction status of a connection idle outside a transaction (psycopg.pq.TransactionStatus)


def _own_transaction_ended(scope: _PipelineScope, *, commit: bool) -> None:
    """The transaction a block ends itself (`pipelined()`) ends with the block: committed if still open after a
    successful block (an explicit one whose pipelined COMMIT was not sent: the pipeline had been paused), rolled
    back after a failed one; then the driver is back out of autocommit, as Django's transaction expects."""
    if not scope.own_transaction:
        return
    scope.own_transaction = scope.implicit = False
    db = current_db()
    driver = db.connection
    if driver is None or driver.closed or driver.broken:
        return  # Django's atomic block finds the connection unusable and drops it
    with db.wrap_database_errors:
        if not _driver_idle(driver):
            end = driver.commit if commit else driver.rollback
            end()
        driver.autocommit = False


def _implicit_transaction_undone() -> None:
    """A pipelined BEGIN and ROLLBACK: the pipeline's Sync would otherwise commit the writes of a failed block's
    implicit transaction. The BEGIN makes it an explicit one, keeping what came before it (a ROLLBACK alone
    would undo it too, with PostgreSQL's warning that no transaction block is in progress)."""
    # An error in sending them means an earlier statement failed — the pipeline is aborted and its Sync rolls the
    # transaction back — or the connection is broken, and nothing commits: nothing more to do either way.
    with suppress(Exception), prepared_cursor() as cursor:
        cursor.execute("BEGIN")
        cursor.execute("ROLLBACK")


def _pipeline_ended(scope: _PipelineScope) -> None:
    """End the pipeline (its Sync, one round trip for every answer still awaited), the writes held sent first."""
    if scope.running is not None:
        if scope.held:
            _held_writes_sent(scope)
        running, scope.running = scope.running, None
        running.leave()


def pipeline_paused() -> None:
    """Back to one statement at a time (one round trip to end the pipeline), for a rare path that must catch a
    database error; `pipelined()` starts it again. Writes held (`write_unanswered`) are sent first. The
    pipeline's implicit transaction is made an explicit one first (a pipelined BEGIN keeps what came before it
    in the transaction), so the Sync does not commit it."""
    scope = _pipeline_scope.get()
    if scope is None or scope.running is None:
        return
    if scope.implicit:
        with prepared_cursor() as cursor:
            cursor.execute("BEGIN")
        scope.implicit = False
    _pipeline_ended(scope)


def write_unanswered(sql: str, params: Sequence) -> None:
    """Run a write whose answer nobody reads (no rows, no row count).

    In a pipelined block that commits its own transaction (`pipeline_allowed(commit=True)`) the write is held,
    and the writes held go out together as one statement (the first ones as data-modifying WITH clauses of the
    last) right before the block's next statement — its COMMIT, as a rule. A money posting writes six to nine
    statements; for the driver each one was as much work as a row kind's whole INSERT is for the database.
    The writes held together must not change one row twice (PostgreSQL does not say which change would win):
    a second change of a row goes through a cursor of its own, which sends the writes held before it."""
    scope = _pipeline_scope.get()
    if scope is None or scope.running is None or not scope.commit:
        with prepared_cursor() as cursor:
            cursor.execute(sql, params)
        return
    scope.held.append((sql, params))


def _statement_sent(scope: _PipelineScope, execute, sql, params, many, context):
    """The block's execute wrapper: any statement goes out after the writes held before it; one that is not a
    SELECT counts as a write of the implicit transaction (a failed block rolls that back, see
    `pipeline_allowed`)."""
    if scope.held:
        _held_writes_sent(scope)
    if scope.implicit and not scope.wrote and not _reads_only(sql):
        scope.wrote = True
    return execute(sql, params, many, context)


def _reads_only(sql: str) -> bool:
    """A SELECT (locks and sequences aside, which a rollback would not undo either) writes nothing."""
    return sql[:6].upper() == "SELECT" or sql.lstrip()[:6].upper() == "SELECT"


def _held_writes_sent(scope: _PipelineScope) -> None:
    held, scope.held = scope.held, []
    params = [value for _sql, values in held for value in values]
    with prepared_cursor(HELD_WRITES_CURSOR, numbered=True) as cursor:
        cursor.execute(_writes_together_sql(tuple(sql for sql, _values in held)), params)


HELD_WRITES_CURSOR = 4  # prepared_cursor's slot for the held writes: nobody reads their answer


@functools.lru_cache(maxsize=64)
def _writes_together_sql(statements: tuple[str, ...]) -> str:
    """One statement of several writes, `WITH w0 AS (first), w1 AS (second), … last`, its placeholders
    numbered: the driver would parse a statement of more than 50 parameters at every run. The writes run once
    each and to their end, in one snapshot; the deferred constraints (foreign keys, the ledger's balance) are
    checked at COMMIT as before."""
    *first, last = statements
    together = "WITH " + ", ".join(f"w{n} AS ({sql})" for n, sql in enumerate(first)) + " " + last if first else last
    if "%%" in together or "%(" in together:
        raise ValueError("a held write has a literal % or a named placeholder")
    numbers = itertools.count(1)
    return PLACEHOLDER.sub(lambda _match: f"${next(numbers)}", together)


PLACEHOLDER = re.compile(r"%s")


def check_at_first_read(check) -> None:
    """Run `check` (which reads the answer of a statement sent pipelined) right after the block's first read —
    whose round trip brings that answer too — instead of waiting for it on a round trip of its own. The
    reader calls `first_read_done()`; if none does, the caller of this function must."""
    scope = _pipeline_scope.get()
    if scope is None or scope.running is None:
        check()
        return
    scope.at_first_read.append(check)


def first_read_done() -> None:
    """The checks waiting for the first read run now (a raising one stops the block)."""
    scope = _pipeline_scope.get()
    while scope is not None and scope.at_first_read:
        scope.at_first_read.pop(0)()
