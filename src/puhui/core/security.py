"""Response hardening: the Content-Security-Policy on every response, and a per-address limit on failed logins.

Django's SecurityMiddleware already sends nosniff, the referrer policy, the cross-origin opener policy and (in
production, over HTTPS) HSTS; the clickjacking middleware sends X-Frame-Options DENY. What Django 5.2 lacks is
the CSP header (Django 6 has one built in) and a throttle per client address, which django-axes does not give:
axes locks an *account* after five failures (puhui.core.lockout), so one address trying a few passwords on
each of many accounts (password spraying) is never locked. Hence the second middleware.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from puhui.core.errors import error_body

API_LOGIN_PATH = "/api/v1/auth/token"
_now = time.time  # the clock, replaceable in tests


class ContentSecurityPolicyMiddleware:
    """Sends settings.PUHUI_CONTENT_SECURITY_POLICY unless a view set its own policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.PUHUI_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(self), geolocation=(self), microphone=(), payment=(), usb=()"
        )
        return response


class LoginRateLimitMiddleware:
    """Failed logins per client address (login page and token endpoint together), in a fixed window.

    Once an address has failed settings.PUHUI_LOGIN_RATE_LIMIT ("N/SECONDS") times in the window, every further
    attempt from it is answered 429 without the password being checked, until the window ends. Only failures
    count: a branch's staff behind one NAT address, or the mobile channel's server, log in all day.
    The counter lives in Django's cache; with several worker processes and the default local-memory cache the
    limit is per process, so production points CACHES at a shared cache."""

    def __init__(self, get_response):
        self.get_response = get_response
        limit, _sep, seconds = settings.PUHUI_LOGIN_RATE_LIMIT.partition("/")
        self.limit, self.window = int(limit), int(seconds or 60)
        self.login_path = reverse(settings.LOGIN_URL)

    def __call__(self, request):
        if request.method != "POST" or request.path not in {API_LOGIN_PATH, self.login_path}:
            return self.get_response(request)
        key = self._key(request)
        if (cache.get(key) or 0) >= self.limit:
            return self._refused(request)
        response = self.get_response(request)
        if _failed(request, response, self.login_path):
            try:
                cache.incr(key)
            except ValueError:  # first failure in this window
                cache.set(key, 1, self.window)
        return response

    def _key(self, request) -> str:
        header = settings.PUHUI_CLIENT_IP_HEADER
        address = (request.META.get(header, "") if header else "") or request.META.get("REMOTE_ADDR", "")
        address = address.split(",")[0].strip()
        return f"puhui:login-failures:{address}:{int(_now()) // self.window}"

    def _refused(self, request):
        message = _("Too many failed logins from this address. Please wait a few minutes and try again.")
        retry = str(self.window - int(_now()) % self.window)
        if request.path == API_LOGIN_PATH:
            response = JsonResponse(error_body("rate_limited", message), status=429)
        else:
            response = render(request, "registration/rate_limited.html", {"message": message}, status=429)
        response["Retry-After"] = retry
        return response


def _failed(request, response, login_path: str) -> bool:
    if request.path == login_path:
        return not 300 <= response.status_code < 400  # success redirects; a failure shows the form again
    return response.status_code in {401, 429}
