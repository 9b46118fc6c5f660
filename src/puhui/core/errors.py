"""The API's error shape (API.md): {"error": {"code", "message", "details"}}."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApiError(Exception):
    """A refusal with a status, a snake_case code and a (translatable) human message."""

    def __init__(self, status: int, code: str, message: Any, details: dict | None = None) -> None:
        super().__init__(str(message))
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}


class RuleRefused(Exception):
    """A business rule refused an action; nothing was changed. Subclasses give MESSAGES: code → gettext text,
    formatted with the details when it has %(name)s placeholders."""

    MESSAGES: dict = {}

    def __init__(self, code: str, **details) -> None:
        super().__init__(code)
        self.code = code
        self.details = details

    @property
    def message(self) -> str:
        text = str(self.MESSAGES[self.code])
        return text % self.details if "%(" in text else text


def error_body(code: str, message: Any, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", _("You do not have permission for this operation."))


def not_found() -> ApiError:
    return ApiError(404, "not_found", _("Not found, or outside your scope."))
