"""Set-based inserts for bulk paths (imports, demo): one executemany of ready-made column values.

The ORM's bulk_create builds every value through model instances and field preparation; for 100,000
register rows that is most of the time. Callers pass database-ready values (encrypted text, fen, dates).
"""

from collections.abc import Iterator, Sequence

from django.db import connection, models


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple]) -> None:
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in columns]
    quote = connection.ops.quote_name
    placeholders = ", ".join(_placeholder(field) for field in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({placeholders})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _placeholder(field: models.Field) -> str:
    if connection.vendor == "postgresql" and isinstance(field, models.JSONField):
        return "%s::jsonb"
    return "%s"


def select_where_in(select_from: str, column: str, values: Sequence, chunk: int = 900) -> Iterator[tuple]:
    """Rows of `SELECT … FROM … WHERE column IN (values)`, in chunks under SQLite's parameter limit.

    Skips the ORM's per-value preparation, which dominates a lookup of 100,000 keys."""
    for start in range(0, len(values), chunk):
        part = list(values[start : start + chunk])
        sql = f"{select_from} WHERE {column} IN ({', '.join(['%s'] * len(part))})"
        with connection.cursor() as cursor:
            cursor.execute(sql, part)
            yield from cursor.fetchall()
