"""Idempotency-Key for money-moving POSTs (API.md "Conventions").

Same key, body and user → the original response again, nothing new posted. Same key with another body,
path or user → 409 idempotency_conflict. A request still running → 409 in_progress. A request that failed
(bad input, a refused rule) leaves no key behind, so it may be sent again with the same key; so does one whose
process was killed mid-request, once PUHUI_IDEMPOTENCY_ABANDONED_SECONDS have passed.
"""

import datetime
import functools
import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
from contextvars import ContextVar

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from puhui.core.bulk import instances_insert, prepared_cursor
from puhui.core.errors import ApiError
from puhui.core.models import IdempotencyKey

HEADER = "Idempotency-Key"


def request_fingerprint(request, payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def idempotency_key(request) -> str:
    key = request.headers.get(HEADER, "")
    if not 1 <= len(key) <= 64 or not key.isprintable():
        raise ApiError(400, "idempotency_key_required", _("Send an Idempotency-Key header of 1 to 64 characters."))
    return key


def run_once(request, payload: dict, action: Callable[[], tuple[int, dict]]) -> tuple[int, dict]:
    """Run `action` (inside one transaction with the key's completion) once per key; replay otherwise."""
    key = idempotency_key(request)
    fingerprint = request_fingerprint(request, payload)
    record = IdempotencyKey(key=key, user=request.user, fingerprint=fingerprint)
    try:
        with _savepoint_if_nested():
            instances_insert([record])  # the ORM's create() in one statement (every money request comes here)
    except IntegrityError:
        record = _abandoned_taken_over(key, request.user, fingerprint)
        if record is None:
            return _replay(key, request.user, fingerprint)
    try:
        with transaction.atomic():
            token = _joined.set(True)
            try:
                status, body = action()
            finally:
                _joined.reset(token)
            if not _record_done(record, status, body):
                raise ApiError(409, "in_progress", IN_PROGRESS)
    except BaseException:
        _release(record)
        raise
    return status, body


IN_PROGRESS = _("A request with this Idempotency-Key is still being processed.")


def _abandoned_taken_over(key: str, user, fingerprint: str) -> IdempotencyKey | None:
    """The key of the same request whose process died after recording the key and before its transaction
    committed (a killed server worker): nothing was posted for it, and without this every retry would be
    answered in_progress for ever. Once older than the longest request could run, the retry takes it over —
    and the key's claim time changes, so should the first request still be alive it cannot complete."""
    record = IdempotencyKey.objects.filter(key=key).first()
    if record is None or record.state != IdempotencyKey.State.IN_PROGRESS:
        return None
    if record.user_id != user.pk or record.fingerprint != fingerprint:
        return None
    if record.created_at > timezone.now() - datetime.timedelta(seconds=settings.PUHUI_IDEMPOTENCY_ABANDONED_SECONDS):
        return None
    claimed_at = timezone.now()
    taken = IdempotencyKey.objects.filter(
        pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS, created_at=record.created_at
    ).update(created_at=claimed_at)
    if not taken:
        return None
    record.created_at = claimed_at
    return record


def _release(record: IdempotencyKey) -> None:
    """A failed request leaves no key behind — unless a retry has taken it over meanwhile."""
    IdempotencyKey.objects.filter(
        pk=record.pk, state=IdempotencyKey.State.IN_PROGRESS, created_at=record.created_at
    ).delete()


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


def _record_done(record: IdempotencyKey, status: int, body: dict) -> bool:
    """The key done with its response — False if a retry took the key over (this request is then undone)."""
    field = IdempotencyKey._meta.get_field("response_body")
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE core_idempotencykey SET state = %s, status_code = %s, response_body = %s{cast} "  # noqa: S608
            "WHERE id = %s AND created_at = %s",
            [
                IdempotencyKey.State.DONE,
                status,
                field.get_db_prep_save(body, connection),
                record.pk,
                connection.ops.adapt_datetimefield_value(record.created_at),
            ],
        )
        return cursor.rowcount == 1


def _savepoint_if_nested():
    """Outside a transaction the key's INSERT commits on its own (no BEGIN and COMMIT round trips on every
    money request); inside one, a savepoint keeps a duplicate key from breaking the caller's transaction."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


def _replay(key: str, user, fingerprint: str) -> tuple[int, dict]:
    record = IdempotencyKey.objects.filter(key=key).first()
    if record is None:  # the first request failed and released the key a moment ago
        raise ApiError(409, "in_progress", IN_PROGRESS)
    if record.user_id != user.pk or record.fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", _("This Idempotency-Key was already used for a different request."))
    if record.state != IdempotencyKey.State.DONE:
        raise ApiError(409, "in_progress", IN_PROGRESS)
    return record.status_code, record.response_body
