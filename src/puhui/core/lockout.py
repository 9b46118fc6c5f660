"""Account lockout (django-axes), DOMAIN default: after 5 failures the account is locked for 15 minutes.

The five failing attempts each get the ordinary "wrong password" answer; every attempt after them (the
sixth on) is refused as locked without the password being checked, until the cool-off ends.
"""

from axes.backends import AxesStandaloneBackend
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and not AxesProxyHandler.is_allowed(
            request, {"username": username, "password": password}
        ):
            request.puhui_refused_locked = True
        return super().authenticate(request, username=username, password=password, **kwargs)


def was_refused_as_locked(request) -> bool:
    return getattr(request, "puhui_refused_locked", False)


def lockout_response(request, original_response, credentials):
    """Axes calls this when a request ends locked: the attempt that reached the limit keeps its answer."""
    if not was_refused_as_locked(request) or request.path.startswith("/api/"):
        return original_response
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"cooloff_minutes": minutes}, status=429)
