"""Audit helpers on top of django-auditlog."""

from auditlog.models import LogEntry


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
