"""Writes to the organisation: role groups and their admin permissions."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from puhui.org import roles

# Admin rights per role: head office configures; auditors only read. Others work in the app's pages.
_ADMIN_APPS = ("org", "core", "auditlog", "axes", "credit", "deliberation", "kpi")


@transaction.atomic
def role_groups_ensure() -> dict[str, Group]:
    """Create the role groups (idempotent) and give head office and auditors their admin permissions."""
    groups = {}
    for code in roles.ALL_ROLES:
        groups[code], _ = Group.objects.get_or_create(name=code)
    app_perms = Permission.objects.filter(content_type__app_label__in=_ADMIN_APPS)
    groups[roles.HEAD_OFFICE].permissions.set(app_perms.exclude(codename="change_businessdate"))
    groups[roles.AUDITOR].permissions.set(app_perms.filter(codename__startswith="view_"))
    reveal = Permission.objects.get(content_type__app_label="households", codename="reveal_personal_data")
    for code in REVEAL_ROLES:
        groups[code].permissions.add(reveal)
    return groups


# Seeing a full ID number, phone or address is a permission (DOMAIN §7); liaisons and evaluators never have it.
REVEAL_ROLES = (roles.HEAD_OFFICE, roles.AUDITOR, roles.BRANCH_MANAGER, roles.ACCOUNT_MANAGER)
