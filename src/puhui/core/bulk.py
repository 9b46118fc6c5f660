"""Set-based inserts for bulk paths (imports, demo): one executemany of ready-made column values.

The ORM's bulk_create builds every value through model instances and field preparation; for 100,000
register rows that is most of the time. Callers pass database-ready values (encrypted text, fen, dates).
"""

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connection, connections, models


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
    if connection.vendor == "postgresql" and isinstance(field, models.JSONField):
        return "%s::jsonb"
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


@contextmanager
def prepared_cursor():
    """A cursor whose statements PostgreSQL keeps prepared on the connection (psycopg binds the parameters on
    the server and prepares a statement from its fifth execution, `prepare_threshold` in settings): the money
    path's few statements run thousands of times, and parsing and planning each anew was most of the
    database's share of a posting. Django's own cursors bind on the client and never prepare. One such cursor
    is kept per connection (making a cursor cost more than running a prepared statement). Elsewhere (SQLite)
    an ordinary cursor. Wrapped like Django's own, so execute wrappers (tests' fault injection) still apply."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as cursor:
            yield cursor
        return
    db.close_if_health_check_failed()
    db.ensure_connection()
    kept = db.__dict__.get("puhui_prepared_cursor")
    if kept is None or kept[0] is not db.connection or kept[1] != db.queries_logged or kept[2].cursor.closed:
        from django.db.backends.postgresql.base import ServerBindingCursor

        with db.wrap_database_errors:
            cursor = db._prepare_cursor(ServerBindingCursor(db.connection))
        kept = db.__dict__["puhui_prepared_cursor"] = (db.connection, db.queries_logged, cursor)
    yield kept[2]


def instances_insert(instances: Sequence[models.Model]) -> None:
    """INSERT new instances of one model in one statement, their ids set on them — what `create()` and
    `bulk_create()` write (defaults, auto_now, field preparation) without the query compiler or signals, for
    the few rows of a hot path such as a money posting. Nothing is audited here: the caller does that."""
    if not instances:
        return
    db = connections[DEFAULT_DB_ALIAS]
    model = type(instances[0])
    fields = _insert_fields(model)
    values = [
        value
        for instance in instances
        for value in [field.get_db_prep_save(field.pre_save(instance, add=True), db) for field in fields]
    ]
    with prepared_cursor() as cursor:
        cursor.execute(_insert_sql(model, len(instances), db.vendor), values)
        ids = [pk for (pk,) in cursor.fetchall()]  # in the order of the VALUES rows, as bulk_create relies on
    for instance, pk in zip(instances, ids, strict=True):
        instance.pk = pk
        instance._state.adding, instance._state.db = False, db.alias


@functools.cache
def _insert_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if not field.primary_key]


@functools.cache
def _insert_sql(model: type[models.Model], rows: int, vendor: str) -> str:
    quote = connection.ops.quote_name
    fields = _insert_fields(model)
    row = f"({', '.join(_placeholder(field) for field in fields)})"
    return (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(model._meta.pk.column)}"
    )
