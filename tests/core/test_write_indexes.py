"""The indexes a money posting writes (PostgreSQL): the unused ones are gone (core migration 0007), and every
lookup the application makes of those tables still finds an index."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="index definitions: PostgreSQL"),
    pytest.mark.django_db,
]


def index_columns(table: str) -> dict[str, str]:
    """index name → its definition's column part, e.g. '(object_pk varchar_pattern_ops)'."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return {name: definition[definition.index("(") :] for name, definition in cursor.fetchall()}


def test_no_pattern_copies_nor_action_index_on_the_posting_tables():
    audit, keys = index_columns("auditlog_logentry"), index_columns("core_idempotencykey")
    assert not [d for d in [*audit.values(), *keys.values()] if "varchar_pattern_ops" in d]
    assert "(action)" not in audit.values()


def test_the_lookups_keep_their_indexes():
    audit, keys = index_columns("auditlog_logentry"), index_columns("core_idempotencykey")
    for column in ("id", "object_pk", "object_id", "content_type_id", "actor_id", '"timestamp"', "cid"):
        assert f"({column})" in audit.values(), column
    assert "(key)" in keys.values() and "(user_id)" in keys.values()


def test_a_key_is_found_through_an_index():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: the plan shows what is possible
        cursor.execute("EXPLAIN SELECT id FROM core_idempotencykey WHERE key = %s", ["k"])
        plan = " ".join(line for (line,) in cursor.fetchall())
    assert "core_idempotencykey_key_key" in plan, plan
