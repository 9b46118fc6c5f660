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
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class RejectNulMiddleware:
    """A NUL character is never legitimate input and PostgreSQL refuses it in text: answer 400 up front."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or _has_nul(request.GET) or (self._is_form_post(request) and _has_nul(request.POST)):
            return bad_input_response(request)
        return self.get_response(request)

    @staticmethod
    def _is_form_post(request) -> bool:
        return request.method == "POST" and request.content_type in FORM_TYPES


def _has_nul(query_dict) -> bool:
    return any("\x00" in value for _key, values in query_dict.lists() for value in values)


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def bad_input_response(request):
    from django.http import HttpResponseBadRequest, JsonResponse
    from django.utils.translation import gettext as _

    from puhui.core.errors import error_body

    message = _("The request contains a NUL character, which is never valid input.")
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("invalid_request", message), status=400)
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
