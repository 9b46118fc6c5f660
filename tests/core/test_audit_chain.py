"""The audit log's hash chain: sealed after commit, and every raw edit, deletion or insertion caught by verify."""

import threading

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.utils import timezone, translation

from puhui.core.audit import audit_access
from puhui.core.audit_chain import audit_seal, audit_verify
from puhui.core.models import AuditSeal
from puhui.org import roles


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English, whatever the zh-hans catalogue holds."""
    with translation.override("en"):
        yield


def entries(world, count: int) -> list[int]:
    """`count` new audit entries (reveals by head office), their ids."""
    user = world.users[roles.HEAD_OFFICE]
    for n in range(count):
        audit_access(instance=world.village_mine, actor=user, field=f"field-{n}")
    return list(LogEntry.objects.order_by("-id").values_list("id", flat=True)[:count])[::-1]


def raw(sql: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def verify_fails_at(entry_id: int, reason: str) -> None:
    result = audit_verify()
    assert (result.ok, result.broken_id) == (False, entry_id), result
    assert reason in result.reason
    with pytest.raises(CommandError, match=f"#{entry_id}"):
        call_command("audit", "verify", "--no-seal")


def test_seal_then_verify_is_intact_and_idempotent(world, capsys):
    ids = entries(world, 5)
    first = audit_seal()
    assert first.sealed == LogEntry.objects.count() and first.head_id == ids[-1]
    assert audit_seal().sealed == 0  # nothing new
    result = audit_verify()
    assert result.ok and result.checked == LogEntry.objects.count() and result.unsealed == 0
    call_command("audit", "verify")
    out = capsys.readouterr().out
    assert f"{first.head_id}:{first.head_digest}" in out


def test_new_entries_extend_the_chain(world):
    entries(world, 3)
    audit_seal()
    later = entries(world, 2)
    assert audit_verify().unsealed == 2  # verify without sealing reports the entries awaiting a seal
    assert audit_seal().sealed == 2
    assert AuditSeal.objects.order_by("-entry_id").first().entry_id == later[-1]
    assert audit_verify().ok


def test_a_raw_edit_of_an_entry_is_caught(world):
    ids = entries(world, 5)
    audit_seal()
    raw("UPDATE auditlog_logentry SET object_repr = %s WHERE id = %s", ["下陈村", ids[2]])
    verify_fails_at(ids[2], "altered after it was sealed")


def test_a_raw_edit_of_the_changes_json_is_caught(world):
    ids = entries(world, 3)
    audit_seal()
    raw("UPDATE auditlog_logentry SET changes = %s WHERE id = %s", ['{"revealed": ["nothing", ""]}', ids[1]])
    verify_fails_at(ids[1], "altered")


def test_a_raw_deletion_is_caught(world):
    ids = entries(world, 5)
    audit_seal()
    raw("DELETE FROM auditlog_logentry WHERE id = %s", [ids[3]])
    verify_fails_at(ids[3], "deleted")


def test_deleting_an_entry_with_its_seal_breaks_the_next_link(world):
    ids = entries(world, 5)
    audit_seal()
    raw("DELETE FROM auditlog_logentry WHERE id = %s", [ids[1]])
    raw("DELETE FROM core_auditseal WHERE entry_id = %s", [ids[1]])
    verify_fails_at(ids[2], "seal altered")


def test_a_raw_insertion_into_the_sealed_range_is_caught(world):
    ids = entries(world, 2)
    # an honest entry with a gap before it (ids are not contiguous on PostgreSQL after a rollback)
    gap_id = ids[-1] + 5
    LogEntry.objects.create(
        id=gap_id, content_type_id=LogEntry.objects.get(pk=ids[0]).content_type_id, object_pk="1",
        object_repr="诸葛村", action=LogEntry.Action.ACCESS, changes_text="", timestamp=timezone.now(),
    )  # fmt: skip
    audit_seal()
    raw(
        "INSERT INTO auditlog_logentry (id, content_type_id, object_pk, object_repr, action, changes_text, timestamp)"
        " SELECT %s, content_type_id, object_pk, object_repr, action, changes_text, timestamp"
        " FROM auditlog_logentry WHERE id = %s",
        [ids[-1] + 2, ids[0]],
    )
    verify_fails_at(ids[-1] + 2, "inserted")


def test_a_raw_edit_of_a_seal_is_caught(world):
    ids = entries(world, 4)
    audit_seal()
    raw("UPDATE core_auditseal SET chain_digest = %s WHERE entry_id = %s", ["0" * 64, ids[1]])
    verify_fails_at(ids[1], "seal altered")


def test_an_anchored_head_must_stay_in_the_chain(world):
    entries(world, 3)
    head = audit_seal()
    assert audit_verify(anchor=(head.head_id, head.head_digest)).ok
    # the chain recomputed after cutting its tail no longer holds the head printed before
    raw("DELETE FROM core_auditseal WHERE entry_id = %s", [head.head_id])
    raw("DELETE FROM auditlog_logentry WHERE id = %s", [head.head_id])
    assert audit_verify().ok  # the cut alone is invisible inside the database …
    result = audit_verify(anchor=(head.head_id, head.head_digest))
    assert not result.ok and result.broken_id == head.head_id  # … the anchor outside it catches it
    with pytest.raises(CommandError, match="anchored head"):
        call_command("audit", "verify", "--no-seal", "--head", f"{head.head_id}:{head.head_digest}")


def test_the_command_refuses_a_malformed_head(world):
    with pytest.raises(CommandError, match="ENTRY_ID:CHAIN_DIGEST"):
        call_command("audit", "verify", "--head", "12:abc")


def test_sealing_works_in_small_batches(world):
    entries(world, 7)
    assert audit_seal(batch_size=3).sealed == LogEntry.objects.count()
    assert audit_verify().ok


POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has one writer (the sealer's write lock waits for it); the in-memory test database locks tables",
)


@pytest.mark.django_db(transaction=True)
@POSTGRES_ONLY
def test_an_entry_still_in_flight_holds_the_seal_back(world):
    """PostgreSQL: an entry that commits after a higher id is neither skipped nor taken for a forgery."""
    user = world.users[roles.HEAD_OFFICE]
    written, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                audit_access(instance=world.village_mine, actor=user, field="slow")
                written.set()
                release.wait(10)
        finally:
            connections.close_all()

    worker = threading.Thread(target=slow_writer)
    worker.start()
    assert written.wait(10)
    audit_access(instance=world.village_mine, actor=user, field="fast")  # a higher id, committed first
    fast_id = LogEntry.objects.order_by("-id").values_list("id", flat=True).first()
    held = audit_seal(wait=0.3)
    assert held.waiting and (held.head_id or 0) < fast_id
    release.set()
    worker.join(10)
    done = audit_seal()
    assert done.head_id == fast_id and not done.waiting
    assert audit_verify().ok and audit_verify().unsealed == 0


@pytest.mark.django_db(transaction=True)
@POSTGRES_ONLY
def test_concurrent_writers_and_sealers_keep_the_chain(world):
    user = world.users[roles.HEAD_OFFICE]
    errors = []

    def writer(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_access(instance=world.village_mine, actor=user, field=f"w{n}-{i}")
                if i % 4 == 0:
                    audit_seal(wait=2)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    audit_seal()
    result = audit_verify()
    assert result.ok and result.unsealed == 0 and result.checked == LogEntry.objects.count()
