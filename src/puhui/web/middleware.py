"""Chinese unless the user chose otherwise: the language cookie decides, never the browser's Accept-Language.

A county bank's pages are in Chinese whatever the device's setting; the "English" button sets the cookie.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChosenLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        # without a Cookie header (an API client, as a rule) there is no cookie to parse
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if "HTTP_COOKIE" in request.META else None
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if "Vary" in response.headers:
            patch_vary_headers(response, ("Cookie",))
        else:
            response.headers["Vary"] = "Cookie"
        response.headers.setdefault("Content-Language", language)
        return response


class RejectNulMiddleware:
    """A NUL character is never legitimate input and PostgreSQL refuses it in text: answer 400 up front.

    Checked: the path, the query string, url-encoded forms and JSON bodies. Multipart forms are left to
    Django's form fields, which refuse NUL themselves, so that uploads are not read into memory here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING")
        if "\x00" in request.path or (query and _has_nul(request.GET)) or _body_has_nul(request):
            return bad_input_response(request)
        return self.get_response(request)


def _has_nul(query_dict) -> bool:
    return any("\x00" in value for _key, values in query_dict.lists() for value in values)


def _body_has_nul(request) -> bool:
    if request.method not in {"POST", "PUT", "PATCH"}:
        return False
    if request.content_type == "application/x-www-form-urlencoded":
        return _has_nul(request.POST)
    if request.content_type == "application/json":
        return b"\x00" in request.body or b"\\u0000" in request.body
    return False


def bad_input_response(request):
    from django.http import HttpResponseBadRequest, JsonResponse
    from django.utils.translation import gettext as _

    from puhui.core.errors import error_body

    message = _("The request contains a NUL character, which is never valid input.")
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid_request", message), status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
