"""Shared pieces of the `puhui` commands."""

from django.core.management import CommandError
from django.utils.translation import gettext as _

from puhui.org import roles
from puhui.org.models import User


def command_actor(username: str | None) -> User:
    """The user a command acts as (scope and audit): `--user`, else the first active head-office user."""
    users = User.objects.filter(is_active=True)
    if username:
        actor = users.filter(username=username).first()
        if actor is None:
            raise CommandError(_("No such active user: %(username)s.") % {"username": username})
        return actor
    actor = users.filter(groups__name=roles.HEAD_OFFICE).order_by("pk").first()
    if actor is None:
        raise CommandError(_("No acting user: pass --user with an active username."))
    return actor
