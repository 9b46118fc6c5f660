"""The WSGI entry point: the API's requests through the middleware an API needs, the pages' through all of it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puhui.settings")
pages = get_wsgi_application()  # sets Django up

from puhui.core.api_handler import ApiWSGIHandler, by_path  # noqa: E402 — needs the settings configured

application = by_path(api=ApiWSGIHandler(), pages=pages)
