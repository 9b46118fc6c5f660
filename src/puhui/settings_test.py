"""Settings for the test suite: the real settings, with test-speed hashing and jobs run in-process."""

import os
import tempfile

os.environ.setdefault("PUHUI_ENV", "test")
os.environ.setdefault("PUHUI_VAR_DIR", tempfile.mkdtemp(prefix="puhui-test-var-"))

from puhui.settings import *  # noqa: E402,F403

# Argon2 at production cost costs ~0.1 s a login; the hashers themselves are tested upstream.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Jobs run inside the request that enqueues them; the worker path is exercised by its own test.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
