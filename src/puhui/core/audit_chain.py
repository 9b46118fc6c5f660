"""Tamper-evident audit log: a SHA-256 hash chain over django-auditlog's entries, sealed after commit.

Design
------
Each audit entry (``auditlog.LogEntry``) gets one ``AuditSeal`` row, in entry-id order::

    entry_digest = sha256(canonical)            canonical = JSON of the entry's fields (CHAIN_FIELDS, v1)
    chain_digest = sha256(previous chain_digest ‖ canonical)       the first entry chains from 32 zero bytes

Entries are **not** sealed in the request that writes them. Money postings write audit entries from many
connections at once (the bank asks 500 postings/s); a chain built at insert time would need one global lock
that serializes every posting. Instead a sealer appends seals afterwards, in small batches, in id order: run by
``puhui audit seal``, by ``puhui audit verify`` and at end of day. Writers take no lock at all.

Sealing after commit has one hazard: ids are drawn before commit, so entry 100 may commit after entry 101.
A sealer that sealed 101 and later saw 100 appear could not tell a late commit from a forged insertion. So the
sealer seals only up to a *settled watermark*, an id below which every entry is committed or will never be:

- SQLite has one writer: the sealer's transaction begins IMMEDIATE, holding the write lock, so every entry
  it can see is committed and nothing else is in flight.
- PostgreSQL: in one statement the sealer reads the highest visible id W and the transactions in progress in
  this database (their xids, from the statement's snapshot). An entry below W that it cannot see belongs to one
  of those transactions, because a transaction owns its xid before it draws an entry id (the trigger of
  migration core 0005 makes sure of that for a transaction whose first write is the entry). The sealer waits
  (polling ``pg_xact_status``, a few seconds at most) until they have ended, then seals up to W. A long
  transaction delays the sealer, never a posting.

``verify`` recomputes everything from the stored entries, from the first seal on, and names the first broken
record: an entry changed after sealing, a seal changed, an entry deleted (its seal has no entry: seals carry no
foreign key), or an entry inserted into the sealed range (an unsealed entry below the sealed head, which the
watermark rules out for honest writes).

Limits, stated plainly: anyone who can write the database can append entries after the head, and can rewrite
the whole chain after an edit, or cut its tail, consistently. Against that the head is *anchored* outside the
database: ``seal`` and ``verify`` print the head (entry id and chain digest), every backup keeps it in its header,
end of day is to print it in its report, and ``verify --head ID:DIGEST`` checks that an anchored head is still
part of the chain. Deleting a
user sets ``actor_id`` to NULL on that user's entries (auditlog's foreign key) and so breaks the chain: users
are deactivated, never deleted.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

from auditlog.models import LogEntry
from django.db import connections, transaction
from django.utils.translation import gettext as _

from puhui.core.models import AuditSeal

# Version 1 of the canonical form: a fixed list, so that a field added by a later django-auditlog does not
# change the digests of entries sealed before it.
CHAIN_FIELDS = (
    "id",
    "content_type_id",
    "object_pk",
    "object_id",
    "object_repr",
    "serialized_data",
    "action",
    "changes_text",
    "changes",
    "actor_id",
    "cid",
    "remote_addr",
    "remote_port",
    "timestamp",
    "additional_data",
    "actor_email",
)
GENESIS = bytes(32)
SEAL_BATCH = 1000
VERIFY_BATCH = 2000
SETTLE_WAIT_SECONDS = 10.0
_SEALERS_LOCK_KEY = 0x70756875_69736561  # "puhuisea": one sealer at a time (PostgreSQL advisory lock)


@dataclass(frozen=True)
class SealResult:
    sealed: int
    head_id: int | None
    head_digest: str | None
    waiting: bool  # PostgreSQL: in-flight transactions did not end within the wait; the rest waits for next time


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    head_id: int | None
    head_digest: str | None
    unsealed: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def canonical(row: tuple) -> bytes:
    """The entry's fields as canonical JSON: sorted keys, no spaces, UTF-8, timestamps in UTC to the microsecond."""
    values = dict(zip(CHAIN_FIELDS, row, strict=True))
    stamp = values["timestamp"]
    values["timestamp"] = stamp.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ") if stamp else None
    if values["remote_addr"] is not None:
        values["remote_addr"] = str(values["remote_addr"])
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def digests(previous: bytes, row: tuple) -> tuple[str, str]:
    """(entry_digest, chain_digest) of one entry chained to the previous chain digest."""
    body = canonical(row)
    return hashlib.sha256(body).hexdigest(), hashlib.sha256(previous + body).hexdigest()


def audit_seal(*, using: str = "default", batch_size: int = SEAL_BATCH, wait: float = SETTLE_WAIT_SECONDS):
    """Seal every settled, unsealed audit entry in id order, `batch_size` per transaction. Returns a SealResult."""
    connection = connections[using]
    watermark, waiting = (None, False) if connection.vendor == "sqlite" else _settled_watermark(using, wait)
    sealed = 0
    while True:
        with transaction.atomic(using=using):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEALERS_LOCK_KEY])
            last_id, previous = _head(using)
            limit = _max_entry_id(using) if watermark is None else watermark
            rows = list(
                LogEntry.objects.using(using)
                .filter(id__gt=last_id, id__lte=limit)
                .order_by("id")
                .values_list(*CHAIN_FIELDS)[:batch_size]
            )
            seals = []
            for row in rows:
                entry_digest, chain_digest = digests(previous, row)
                seals.append(AuditSeal(entry_id=row[0], entry_digest=entry_digest, chain_digest=chain_digest))
                previous = bytes.fromhex(chain_digest)
            AuditSeal.objects.using(using).bulk_create(seals)
        sealed += len(seals)
        if len(seals) < batch_size:
            break
    head_id, head = _head(using)
    return SealResult(sealed, head_id or None, head.hex() if head_id else None, waiting)


def _head(using: str) -> tuple[int, bytes]:
    last = AuditSeal.objects.using(using).order_by("-entry_id").values_list("entry_id", "chain_digest").first()
    return (last[0], bytes.fromhex(last[1])) if last else (0, GENESIS)


def _max_entry_id(using: str) -> int:
    return LogEntry.objects.using(using).order_by("-id").values_list("id", flat=True).first() or 0


def _settled_watermark(using: str, wait: float) -> tuple[int, bool]:
    """PostgreSQL: the highest visible entry id, once every transaction in flight when it was read has ended."""
    with connections[using].cursor() as cursor:
        # One statement, one snapshot: W and the transactions (of this database) that snapshot saw in progress.
        cursor.execute(
            """
            SELECT (SELECT coalesce(max(id), 0) FROM auditlog_logentry),
                   array(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x
                         WHERE (x::text::bigint % 4294967296) IN (
                             SELECT backend_xid::text::bigint FROM pg_stat_activity
                             WHERE datname = current_database() AND backend_xid IS NOT NULL))
            """
        )
        watermark, in_flight = cursor.fetchone()
        deadline = time.monotonic() + wait
        while in_flight:
            cursor.execute(
                "SELECT array(SELECT x FROM unnest(%s::xid8[]) AS x WHERE pg_xact_status(x) = 'in progress')",
                [list(in_flight)],
            )
            in_flight = cursor.fetchone()[0]
            if in_flight and time.monotonic() > deadline:
                return _head(using)[0], True  # seal nothing new this time
            if in_flight:
                time.sleep(0.05)
    return watermark, False


def audit_verify(*, using: str = "default", anchor: tuple[int, str] | None = None) -> VerifyResult:
    """Recompute the chain from the stored entries; the first broken record and why, or ok.

    `anchor` (entry id, chain digest), a head printed earlier and kept outside the database, must still be in the
    chain: this catches a chain rewritten or cut after that head."""
    head_id, head = _head(using)
    checked, previous, anchor_found = 0, GENESIS, False
    for seal, entry in _sealed_pairs(using, head_id):
        broken = _check(seal, entry, previous)
        if broken:
            return VerifyResult(checked, head_id, head.hex(), 0, broken[0], broken[1])
        previous = bytes.fromhex(seal[2])
        checked += 1
        anchor_found = anchor_found or (anchor is not None and (seal[0], seal[2]) == anchor)
    if anchor and not anchor_found:
        return VerifyResult(checked, head_id, head.hex(), 0, anchor[0], _("the anchored head is not in the chain"))
    unsealed = LogEntry.objects.using(using).filter(id__gt=head_id).count()
    return VerifyResult(checked, head_id or None, head.hex() if head_id else None, unsealed)


def _check(seal, entry, previous: bytes) -> tuple[int, str] | None:
    if seal is None:
        return entry[0], _("entry inserted into the sealed range (it has no seal)")
    if entry is None:
        return seal[0], _("entry deleted after it was sealed")
    entry_digest, chain_digest = digests(previous, entry)
    if (entry_digest, chain_digest) == (seal[1], seal[2]):
        return None
    if entry_digest != seal[1] and chain_digest != seal[2]:
        return seal[0], _("entry altered after it was sealed")
    return seal[0], _("seal altered")


def _sealed_pairs(using: str, head_id: int) -> Iterator[tuple[tuple | None, tuple | None]]:
    """(seal, entry) pairs in id order over the sealed range, merged from both tables batch by batch."""
    cursor_id = 0
    while cursor_id < head_id:
        seals = list(
            AuditSeal.objects.using(using)
            .filter(entry_id__gt=cursor_id, entry_id__lte=head_id)
            .order_by("entry_id")
            .values_list("entry_id", "entry_digest", "chain_digest")[:VERIFY_BATCH]
        )
        upper = seals[-1][0] if seals else head_id
        entries = (
            LogEntry.objects.using(using)
            .filter(id__gt=cursor_id, id__lte=upper)
            .order_by("id")
            .values_list(*CHAIN_FIELDS)
        )
        by_id = {row[0]: row for row in entries}
        seal_by_id = {seal[0]: seal for seal in seals}
        for entry_id in sorted(by_id.keys() | seal_by_id.keys()):
            yield seal_by_id.get(entry_id), by_id.get(entry_id)
        cursor_id = upper
