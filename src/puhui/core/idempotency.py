"""Idempotency-Key for money-moving POSTs (API.md "Conventions").

Same key, body and user → the original response again, nothing new posted. Same key with another body,
path or user → 409 idempotency_conflict. A request still running → 409 in_progress. A request that failed
(bad input, a refused rule) leaves no key behind, so it may be sent again with the same key.

The key is written in the transaction of the posting it answers, as one of its rows: it exists exactly when the
posting does — a request that fails, or whose process is killed before its COMMIT, leaves none. While a request
runs, its key is held by a transaction-scoped advisory lock on PostgreSQL, which a second request with the same
key finds taken (409 in_progress); SQLite runs one writing transaction at a time, so there the second one waits
and then finds the key done.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from contextvars import ContextVar

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from puhui.core.bulk import (
    check_at_first_read,
    current_db,
    first_read_done,
    pipeline_allowed,
    pipelined,
    prepared_cursor,
    rows_insert,
)
from puhui.core.errors import ApiError
from puhui.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
HEADER_META_KEY = "HTTP_IDEMPOTENCY_KEY"


def request_fingerprint(request, payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotency_key(request) -> str:
    key = request.META.get(HEADER_META_KEY, "")  # request.headers would build a dictionary of every header
    if not 1 <= len(key) <= 64 or not key.isprintable():
        raise ApiError(400, "idempotency_key_required", _("Send an Idempotency-Key header of 1 to 64 characters."))
    return key


def idempotency_key_valid(request) -> bool:
    try:
        idempotency_key(request)
    except ApiError:
        return False
    return True


def run_once(request, payload: dict, action: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run `action` once per key, in one transaction with the key's record; replay the answer otherwise.

    On PostgreSQL the posting's writes, the key's record and the COMMIT are pipelined: sent together, one
    round trip (core.bulk.pipeline_allowed)."""
    key = idempotency_key(request)
    fingerprint = request_fingerprint(request, payload)
    outermost = not transaction.get_connection().in_atomic_block
    try:
        with transaction.atomic(), pipeline_allowed(commit=outermost):
            check_at_first_read(_key_check(key))
            token = _joined.set(True)
            try:
                status, body = action()
            finally:
                _joined.reset(token)
            first_read_done()  # an action that read nothing before writing: its writes are undone if need be
            now = current_db().ops.adapt_datetimefield_value(timezone.now())
            record = (key, request.user.pk, fingerprint, IdempotencyKey.State.DONE.value, status, json.dumps(body), now)
            rows_insert(IdempotencyKey, KEY_FIELDS, [record])  # the key's record, written with its posting
    except _KeyUsed as used:
        return _replay(used.record, request.user, fingerprint)
    except IntegrityError:
        # the same key committed by a request whose transaction ended between this one's check and its lock
        earlier = IdempotencyKey.objects.filter(key=key).first()
        if earlier is None:
            raise
        return _replay(earlier, request.user, fingerprint)
    return status, body


KEY_FIELDS = ("key", "user", "fingerprint", "state", "status_code", "response_body", "created_at")


class _KeyUsed(Exception):
    """The key has its record already: the transaction is undone, the record's answer replayed."""

    def __init__(self, record: IdempotencyKey):
        self.record = record


IN_PROGRESS = _("A request with this Idempotency-Key is still being processed.")


def _key_check(key: str):
    """The check of the key, as a function to call once its answer is wanted: it raises _KeyUsed if the key
    has a record, in_progress while another request holds it (PostgreSQL: the key's advisory lock is held by
    another transaction). On PostgreSQL the question is sent now, pipelined: the answer comes back with the
    posting's first read (the line's, credit.posting.line_lock), one round trip for both. A replayed or refused
    request will have locked its line meanwhile — undone with its transaction."""
    if current_db().vendor != "postgresql":

        def check_now() -> None:
            earlier = IdempotencyKey.objects.filter(key=key).first()
            if earlier is not None:
                raise _KeyUsed(earlier)

        return check_now
    pipelined()
    with prepared_cursor(KEY_CURSOR) as cursor:
        cursor.execute(
            "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0)), k.id, k.user_id, k.fingerprint, k.state, "
            "k.status_code, k.response_body FROM (SELECT 1) AS one LEFT JOIN core_idempotencykey k ON k.key = %s",
            [key, key],
        )

    def check_answered() -> None:
        with prepared_cursor(KEY_CURSOR) as cursor:
            locked, pk, user_id, fingerprint, state, status_code, response_body = cursor.fetchone()
        if not locked:
            raise ApiError(409, "in_progress", IN_PROGRESS)
        if pk is not None:
            raise _KeyUsed(
                IdempotencyKey(
                    id=pk,
                    key=key,
                    user_id=user_id,
                    fingerprint=fingerprint,
                    state=state,
                    status_code=status_code,
                    response_body=_response_body_field().from_db_value(response_body, None, connection),
                )
            )

    return check_answered


KEY_CURSOR = 3  # core.bulk.prepared_cursor's slot for the key's question: answered after the line's


def _response_body_field():
    return IdempotencyKey._meta.get_field("response_body")


def posting_atomic(service):
    """`transaction.atomic` for a money service — which joins the transaction of `run_once` without a
    savepoint (two round trips less on every money request): whatever the service raises, run_once rolls
    the whole transaction back, so there is nothing a savepoint would keep."""

    @functools.wraps(service)
    def run(*args, **kwargs):
        if _joined.get():
            return service(*args, **kwargs)
        with transaction.atomic():
            return service(*args, **kwargs)

    return run


_joined = ContextVar("idempotency_joined", default=False)


def _replay(record: IdempotencyKey, user, fingerprint: str) -> tuple[int, dict]:
    if record.user_id != user.pk or record.fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", _("This Idempotency-Key was already used for a different request."))
    if record.state != IdempotencyKey.State.DONE:  # a record of the time keys were written before their posting
        raise ApiError(409, "in_progress", IN_PROGRESS)
    return record.status_code, record.response_body
