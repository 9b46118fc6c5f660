"""The API's own WSGI handler: settings.PUHUI_API_MIDDLEWARE instead of settings.MIDDLEWARE.

A bearer-token API has no use for sessions, CSRF cookies, flash messages, htmx or static files, and on the money
path that middleware cost a tenth of a request (`bench money`). What the API does need stays: the security
headers, the language, the refusal of NUL characters, Content-Length, the audit context, the login throttle
and the account lockout (API.md: POST /api/v1/auth/token). The URLs, views and error handlers are the same.
Django's test client always runs settings.MIDDLEWARE; tests/core/test_api_handler.py calls this handler.
"""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIHandler
from django.utils.module_loading import import_string

from puhui.core.security import API_LOGIN_PATH

API_PREFIX = "/api/"


class ApiWSGIHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        pages_middleware = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.PUHUI_API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages_middleware


def by_path(*, api, pages):
    """One WSGI application: requests under /api/ to `api`, all others to `pages`."""

    def application(environ, start_response):
        handler = api if environ.get("PATH_INFO", "").startswith(API_PREFIX) else pages
        return handler(environ, start_response)

    return application


class AnonymousUntilAuthenticated:
    """request.user is the anonymous user until the bearer token (ninja's auth) says who it is — as the pages'
    AuthenticationMiddleware would have it for a request without a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = AnonymousUser()
        return self.get_response(request)


class TokenLoginGuards:
    """The login throttle and the account lockout (settings.PUHUI_API_LOGIN_GUARDS, in that order) around the
    token endpoint, the API's only login; every other API request goes straight on (the lockout's middleware
    asked at every request whether it had become a coroutine)."""

    def __init__(self, get_response):
        self.get_response = get_response
        guarded = get_response
        for path in reversed(settings.PUHUI_API_LOGIN_GUARDS):
            guarded = import_string(path)(guarded)
        self.guarded = guarded

    def __call__(self, request):
        if request.path == API_LOGIN_PATH:
            return self.guarded(request)
        return self.get_response(request)
