"""Audit helpers on top of django-auditlog."""

import ipaddress
import json
from contextlib import contextmanager
from dataclasses import dataclass

from auditlog.cid import correlation_id, get_cid
from auditlog.context import auditlog_value
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from puhui.core.bulk import current_db, rows_insert

# Who and from where, for every audit record written while a request or a service runs. auditlog's own
# middleware and set_actor connect a signal receiver per context and disconnect it after: a cost on every
# request, and nested (a service inside a request) they left the outer receiver connected for the life of the
# process — one more per request, every later save ran them all. Here the context is only a context variable
# (auditlog's own, so its LogEntry manager sees the same), and one receiver, connected once, stamps the records.


@contextmanager
def set_actor(actor):
    """Attribute the audit records written inside to `actor` (nests: the outer context comes back after)."""
    outer = auditlog_value.get(None) or {}
    token = auditlog_value.set({**outer, "actor": actor})
    try:
        yield
    finally:
        auditlog_value.reset(token)


class AuditContextMiddleware:
    """auditlog's middleware without the per-request signal wiring: the request's user, address and
    correlation id for the audit records it causes.

    The user is looked up when a record is written, not when the request comes in: an API request's user is
    known only after its bearer token is checked, and a request writing no record (most of them) never loads
    the session's user."""

    def __init__(self, get_response):
        self.get_response = get_response
        header = settings.AUDITLOG_CID_HEADER
        self.cid_key = header if not header or header.startswith("HTTP_") else meta_key(header)

    def __call__(self, request):
        meta = request.META
        if not settings.AUDITLOG_CID_GETTER:  # as auditlog's set_cid
            correlation_id.set(meta.get(self.cid_key) if self.cid_key else None)
        context = {"request": request, "remote_addr": remote_addr(meta), "remote_port": remote_port(meta)}
        token = auditlog_value.set(context)
        try:
            return self.get_response(request)
        finally:
            auditlog_value.reset(token)


# auditlog's middleware reads these through request.headers, which builds a dictionary of every header of the
# request (a tenth of the middleware's work on an API request): here they are read from META.


def meta_key(header: str) -> str:
    """'X-Forwarded-For' → 'HTTP_X_FORWARDED_FOR'."""
    return "HTTP_" + header.upper().replace("-", "_")


def remote_addr(meta: dict) -> str | None:
    """The client's address as auditlog has it: the first X-Forwarded-For address without its port, else
    REMOTE_ADDR. A forwarded value that is no address is not taken (it is the client's to send, and the audit
    row's column holds addresses only)."""
    if settings.AUDITLOG_DISABLE_REMOTE_ADDR:
        return None
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not forwarded:
        return meta.get("REMOTE_ADDR") or None
    address = forwarded.split(",")[0].strip()
    if "." in address and ":" in address:  # IPv4 with its port
        address = address.split(":")[0]
    elif "[" in address:  # [IPv6]:port
        address = address[1:].split("]")[0]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return meta.get("REMOTE_ADDR") or None


def remote_port(meta: dict) -> int | None:
    try:
        return int(meta.get("HTTP_X_FORWARDED_PORT", ""))
    except ValueError:
        return None


def context_actor(context: dict):
    """The actor of an audit context: the one set (`set_actor`), else the request's signed-in user, else None."""
    if "actor" in context:
        return context["actor"]
    user = getattr(context.get("request"), "user", None)
    return user if isinstance(user, get_user_model()) and user.is_authenticated else None


def stamp_log_entry(sender, instance, **kwargs) -> None:
    """pre_save of LogEntry (connected once, CoreConfig.ready): the context's actor and address."""
    context = auditlog_value.get(None)
    if not context:
        return
    actor = context_actor(context)
    if instance.actor_id is None and isinstance(actor, get_user_model()):
        instance.actor = actor
        instance.actor_email = getattr(actor, "email", None)
    for key in ("remote_addr", "remote_port"):
        if context.get(key) is not None:
            setattr(instance, key, context[key])


def mask_for_audit(value) -> str:
    """Personal data never enters the audit log: a change is recorded, its value is not."""
    return "******" if value else ""


def audit_access(*, instance, actor, field: str) -> None:
    """Record that `actor` saw the full value of `field` (DOMAIN §7: every reveal is audited)."""
    LogEntry.objects.log_create(
        instance,
        force_log=True,
        action=LogEntry.Action.ACCESS,
        actor=actor,
        changes={"revealed": [field, ""]},
        additional_data={"revealed_field": field},
    )


@dataclass(frozen=True)
class AuditRecord:
    """An audit entry a service writes in SQL (`audit_write`): auditlog's LogEntry row, without the model
    instance (a money posting writes one or two; building them was a tenth of its CPU)."""

    content_type_id: int
    object_pk: str
    object_id: int | None
    object_repr: str
    action: int
    changes: dict


def audit_created(instance) -> AuditRecord:
    """The record auditlog writes when `instance` is created (every set field, from nothing to its value) —
    for rows a service writes in SQL, where no model signal fires."""
    changes = {
        field.name: ["None", str(value)]
        for field in instance._meta.concrete_fields
        if (value := getattr(instance, field.attname)) is not None
    }
    return _entry(instance, LogEntry.Action.CREATE, changes)


def audit_changed(instance, changes: dict[str, tuple]) -> AuditRecord:
    """The record of an update written in SQL: field → (old, new), only the fields that changed."""
    changed = {name: [str(old), str(new)] for name, (old, new) in changes.items() if old != new}
    return _entry(instance, LogEntry.Action.UPDATE, changed)


def _entry(instance, action: int, changes: dict) -> AuditRecord:
    pk = instance.pk
    return AuditRecord(
        content_type_id=ContentType.objects.get_for_model(instance.__class__).pk,
        object_pk=str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=str(instance),
        action=action,
        changes=changes,
    )


# What audit_write fills of a LogEntry row, in this order (the rest take the table's defaults: the id).
AUDIT_FIELDS = (
    *("content_type", "object_pk", "object_id", "object_repr", "action", "changes"),
    *("serialized_data", "changes_text", "additional_data"),
    *("actor", "actor_email", "remote_addr", "remote_port", "cid", "timestamp"),
)


def audit_write(actor, records: list[AuditRecord]) -> None:
    """Write the records in one statement, stamped like auditlog's own: the actor, the request's address
    and correlation id, now."""
    kept = [r for r in records if r.changes or r.action != LogEntry.Action.UPDATE]  # auditlog skips no-ops too
    if not kept:
        return
    context = auditlog_value.get(None) or {}
    stamp = (
        *(None, "", None),  # no serialized data, no change text, no additional data (as auditlog's own records)
        getattr(actor, "pk", None),
        getattr(actor, "email", None),
        context.get("remote_addr"),  # text: the INSERT casts it (core.bulk.rows_insert)
        context.get("remote_port"),
        get_cid(),
        current_db().ops.adapt_datetimefield_value(timezone.now()),
    )
    rows = [
        (r.content_type_id, r.object_pk, r.object_id, r.object_repr, r.action, json.dumps(r.changes), *stamp)
        for r in kept
    ]
    rows_insert(LogEntry, AUDIT_FIELDS, rows)  # their ids are nobody's concern
