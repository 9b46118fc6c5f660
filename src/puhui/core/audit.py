"""Audit helpers on top of django-auditlog."""

from contextlib import contextmanager

from auditlog.cid import get_cid
from auditlog.context import auditlog_value, set_extra_data
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from puhui.core.bulk import instances_insert


@contextmanager
def set_actor(actor):
    """Attribute the audit records written inside to `actor` — safe to nest, unlike auditlog's own.

    auditlog's context manager, entered inside another (its middleware wraps every request), overwrites the
    outer context and on leaving disconnects only its own signal receiver: the outer receiver stayed connected
    for the life of the process, one more on every request, and every later save ran them all (a gunicorn
    worker slowed down request after request). Here an inner context for the same actor is the outer one,
    and any other restores the outer context when it ends, so the outer disconnects its own receiver.
    """
    outer = auditlog_value.get(None)
    if outer is not None and outer.get("actor") == actor:
        yield
        return
    addresses = {key: outer[key] for key in ("remote_addr", "remote_port") if outer and key in outer}
    try:
        with set_extra_data(context_data={**addresses, "actor": actor}):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)


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


def audit_created(instance) -> LogEntry:
    """The record auditlog writes when `instance` is created (every set field, from nothing to its value) —
    for rows a service writes in SQL, where no model signal fires."""
    changes = {
        field.name: ["None", str(value)]
        for field in instance._meta.concrete_fields
        if (value := getattr(instance, field.attname)) is not None
    }
    return _entry(instance, LogEntry.Action.CREATE, changes)


def audit_changed(instance, changes: dict[str, tuple]) -> LogEntry:
    """The record of an update written in SQL: field → (old, new), only the fields that changed."""
    changed = {name: [str(old), str(new)] for name, (old, new) in changes.items() if old != new}
    return _entry(instance, LogEntry.Action.UPDATE, changed)


def _entry(instance, action: int, changes: dict) -> LogEntry:
    pk = instance.pk
    return LogEntry(
        content_type=ContentType.objects.get_for_model(instance.__class__),
        object_pk=str(pk),
        object_id=pk if isinstance(pk, int) else None,
        object_repr=str(instance),
        action=action,
        changes=changes,
    )


def audit_write(actor, entries: list[LogEntry]) -> None:
    """Write the records in one statement, stamped like auditlog's own: the actor, the request's address
    and correlation id, now."""
    context = auditlog_value.get(None) or {}
    cid, now = get_cid(), timezone.now()
    kept = [e for e in entries if e.changes or e.action != LogEntry.Action.UPDATE]  # auditlog skips no-ops too
    for entry in kept:
        entry.actor = actor
        entry.actor_email = getattr(actor, "email", None)
        entry.remote_addr, entry.remote_port = context.get("remote_addr"), context.get("remote_port")
        entry.cid, entry.timestamp = cid, now
    instances_insert(kept)
