"""The WSGI entry point: the API's requests through the middleware an API needs, the pages' through all of it."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "puhui.settings")
pages = get_wsgi_application()  # sets Django up

from puhui.core.api_handler import ApiWSGIHandler, by_path  # noqa: E402 — needs the settings configured

application = by_path(api=ApiWSGIHandler(), pages=pages)

# The URLs (and with them every view and the API's schemas) loaded now rather than by the first request; all
# that lives as long as the process, and the garbage collector need not go through it again on every full
# collection (a money request's share of those was ~0.1 ms; `bench money`).
get_resolver().url_patterns  # noqa: B018 — loaded for its effect
gc.freeze()
