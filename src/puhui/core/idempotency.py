"""Idempotency-Key for money-moving POSTs (API.md "Conventions").

Same key, body and user → the original response again, nothing new posted. Same key with another body,
path or user → 409 idempotency_conflict. A request still running → 409 in_progress. A request that failed
(bad input, a refused rule) leaves no key behind, so it may be sent again with the same key.
"""

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

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
    try:
        with _savepoint_if_nested():
            record = IdempotencyKey.objects.create(key=key, user=request.user, fingerprint=fingerprint)
    except IntegrityError:
        return _replay(key, request.user, fingerprint)
    try:
        with transaction.atomic():
            status, body = action()
            IdempotencyKey.objects.filter(pk=record.pk).update(
                state=IdempotencyKey.State.DONE, status_code=status, response_body=body
            )
    except BaseException:
        IdempotencyKey.objects.filter(pk=record.pk).delete()
        raise
    return status, body


def _savepoint_if_nested():
    """Outside a transaction the key's INSERT commits on its own (no BEGIN and COMMIT round trips on every
    money request); inside one, a savepoint keeps a duplicate key from breaking the caller's transaction."""
    return transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()


def _replay(key: str, user, fingerprint: str) -> tuple[int, dict]:
    record = IdempotencyKey.objects.filter(key=key).first()
    if record is None:  # the first request failed and released the key a moment ago
        raise ApiError(409, "in_progress", _("A request with this Idempotency-Key is still being processed."))
    if record.user_id != user.pk or record.fingerprint != fingerprint:
        raise ApiError(409, "idempotency_conflict", _("This Idempotency-Key was already used for a different request."))
    if record.state != IdempotencyKey.State.DONE:
        raise ApiError(409, "in_progress", _("A request with this Idempotency-Key is still being processed."))
    return record.status_code, record.response_body
