"""Indexes no query uses, dropped from two tables that every money posting writes (PostgreSQL).

Each index is one more write per row: an audit entry had ten, so three of them were a tenth of a posting's time
in the database. Dropped:
- the `varchar_pattern_ops` copies Django makes of an indexed text column on PostgreSQL, for LIKE 'prefix%'
  searches — of the audit entry's object key and correlation id, and of the Idempotency-Key. Nothing searches
  them by prefix: they are looked up whole, through their plain (or unique) index, which stays.
- the audit entry's index on `action`: five values, never a useful way into the table (the audit is read by
  object, actor, time or correlation id, each still indexed).
SQLite has no pattern copies; its `action` index stays (it costs little there).
"""

from django.db import migrations

# (table, column, whether the index is the pattern copy)
DROPPED = [
    ("auditlog_logentry", "object_pk", True),
    ("auditlog_logentry", "cid", True),
    ("auditlog_logentry", "action", False),
    ("core_idempotencykey", "key", True),
]


def _name(schema_editor, table: str, column: str, pattern: bool) -> str:
    return schema_editor._create_index_name(table, [column], suffix="_like" if pattern else "")


def indexes_drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, pattern in DROPPED:
        schema_editor.execute(
            f"DROP INDEX IF EXISTS {schema_editor.quote_name(_name(schema_editor, table, column, pattern))}"
        )


def indexes_create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    for table, column, pattern in DROPPED:
        name = _name(schema_editor, table, column, pattern)
        opclass = " varchar_pattern_ops" if pattern else ""
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)}{opclass})")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_jobrun_heartbeat"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(indexes_drop, indexes_create)]
