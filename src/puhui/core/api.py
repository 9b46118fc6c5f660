"""The public API under /api/v1/ (API.md): one NinjaAPI, bearer tokens, the contract's error shape."""

import logging

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router, Schema, Status
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer
from pydantic import Field

from puhui.core import selectors, services
from puhui.core.errors import ApiError, error_body, forbidden
from puhui.core.lockout import was_refused_as_locked

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest):
        """ninja's, with the header read from META: request.headers builds a dictionary of every header."""
        scheme, _space, token = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if not scheme or scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str):
        api_token = selectors.api_token_user(token)
        if api_token is None:
            return None
        request.user = api_token.user
        request.api_token = api_token
        return api_token.user


class Utf8JSONRenderer(JSONRenderer):
    """Chinese messages as themselves, not \\u escapes."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=Utf8JSONRenderer(),
    title="puhui API",
    version="1",
    description="普惠 — 整村批量信用授信平台 public API (v1). Money is a string with two decimals.",
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


class ErrorDetail(Schema):
    code: str
    message: str
    details: dict


class ErrorOut(Schema):
    error: ErrorDetail


def _respond(request, status: int, code: str, message, details=None):
    return api.create_response(request, error_body(code, message, details), status=status)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _respond(request, exc.status, exc.code, exc.message, exc.details)


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    details = {"errors": [_plain_error(e) for e in exc.errors]}
    return _respond(request, 400, "invalid_request", _("The request is malformed."), details)


def _plain_error(error: dict) -> dict:
    # pydantic's "input" may echo a password or a huge body: keep only where and what.
    return {"loc": [str(part) for part in error.get("loc", ())], "type": str(error.get("type", ""))}


@api.exception_handler(AuthenticationError)
def _authentication_error(request, exc):
    return _respond(request, 401, "not_authenticated", _("Missing, invalid, expired or revoked token."))


@api.exception_handler(PermissionDenied)
def _permission_denied(request, exc):
    return _respond(request, 403, "forbidden", _("You do not have permission for this operation."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _respond(request, 404, "not_found", _("Not found, or outside your scope."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {400: "invalid_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found"}
    messages = {400: _("The request is malformed."), 404: _("Not found, or outside your scope.")}
    return _respond(
        request, exc.status_code, codes.get(exc.status_code, "error"), messages.get(exc.status_code, str(exc))
    )


@api.exception_handler(MultiPartParserError)
def _broken_form(request, exc: MultiPartParserError):
    # a multipart body the client broke (no boundary, cut short), met wherever the form is read (axes reads it)
    return _respond(request, 400, "invalid_request", _("The request is malformed."))


@api.exception_handler(Exception)
def _unexpected(request, exc: Exception):
    logger.exception("unexpected API error")
    return _respond(request, 500, "server_error", _("An unexpected error occurred; it has been logged."))


def require_staff(request: HttpRequest) -> None:
    if not request.user.is_bank_staff:
        raise forbidden()


def require_role(request: HttpRequest, *role_codes: str) -> None:
    if not request.user.has_role(*role_codes):
        raise forbidden()


# --- auth --------------------------------------------------------------------------------------

auth_router = Router(tags=["auth"])


class TokenIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=4096)


class TokenOut(Schema):
    token: str
    expires_at: str


@auth_router.post("/token", auth=None, response={200: TokenOut, 400: ErrorOut, 401: ErrorOut, 429: ErrorOut})
def token_create(request, payload: TokenIn):
    """Exchange a username and password for a bearer token (default lifetime 12 hours)."""
    try:
        user = authenticate(request, username=payload.username, password=payload.password)
    except PermissionDenied:  # django-axes: the account is locked
        user = None
    if was_refused_as_locked(request):
        raise ApiError(429, "account_locked", _("Too many failed logins: the account is locked for a while."))
    if user is None or not user.is_active:
        raise ApiError(401, "invalid_credentials", _("Wrong username or password."))
    raw, token = services.api_token_issue(user=user)
    # Counts as a login: resets the lockout counter and records last_login.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return {"token": raw, "expires_at": timezone.localtime(token.expires_at).isoformat()}


@auth_router.delete("/token", response={204: None, 401: ErrorOut})
def token_revoke(request):
    """Revoke the token this request carries."""
    services.api_token_revoke(token=request.api_token, actor=request.user)
    return Status(204, None)


# --- business date -----------------------------------------------------------------------------

platform_router = Router(tags=["platform"])


class BusinessDateOut(Schema):
    business_date: str


@platform_router.get("/business-date", response={200: BusinessDateOut, 401: ErrorOut, 403: ErrorOut})
def business_date(request):
    """营业日: the platform's business date (advanced only by end of day)."""
    require_staff(request)
    return {"business_date": selectors.business_date_current().isoformat()}


api.add_router("/auth", auth_router)
api.add_router("/", platform_router)
