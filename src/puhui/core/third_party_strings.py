"""Messages of third-party apps that ship no zh-hans catalogue (django-axes, django-auditlog).

Listed with gettext_noop so that `make messages` keeps them in our catalogue, which Django consults first.
"""

from django.utils.translation import gettext_noop

THIRD_PARTY_MESSAGES = [
    gettext_noop("Axes"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("User Agent"),
    gettext_noop("Path"),
    gettext_noop("Audit log"),
    gettext_noop("Auditlog"),
]
