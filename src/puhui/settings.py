"""Django settings for puhui, read from the environment.

Modes (``PUHUI_ENV``): ``dev`` (default, DEBUG on), ``demo`` (DEBUG off, plain HTTP on loopback),
``production`` (DEBUG off, HTTPS-only cookies, HSTS; ``puhui check --deploy`` is clean).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from puhui.core.pii import key_new_text as pii_key_new_text
from puhui.core.secrets import secret_from_env_or_file

SRC_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("PUHUI_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("PUHUI_VAR_DIR", BASE_DIR / "var")).resolve()

PUHUI_ENV = os.environ.get("PUHUI_ENV", "dev")
if PUHUI_ENV not in {"dev", "demo", "production", "test"}:
    raise RuntimeError(f"PUHUI_ENV must be dev, demo, production or test, not {PUHUI_ENV!r}")
PRODUCTION = PUHUI_ENV == "production"

DEBUG = PUHUI_ENV == "dev" and os.environ.get("PUHUI_DEBUG", "1") == "1"
SECRET_KEY = secret_from_env_or_file("PUHUI_SECRET_KEY", VAR_DIR / "secret_key", required=PRODUCTION)
ALLOWED_HOSTS = [h for h in os.environ.get("PUHUI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("PUHUI_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "puhui.web",  # first: its templates override the admin's and registration's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "puhui.web.apps.LockoutAppConfig",
    "auditlog",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "puhui.core",
    "puhui.org",
    "puhui.households",
    "puhui.credit",
    "puhui.deliberation",
    "puhui.kpi",
    "puhui.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "puhui.core.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "puhui.web.middleware.ChosenLanguageMiddleware",
    "puhui.web.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "puhui.core.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",
    # after the session and language: its refusal page is rendered like any other page
    "puhui.core.security.LoginRateLimitMiddleware",
]
# The API's requests (/api/) go through this list instead (puhui.core.api_handler): no sessions, CSRF,
# messages, htmx or static files for a bearer-token API.
PUHUI_API_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "puhui.core.security.ContentSecurityPolicyMiddleware",
    "puhui.web.middleware.ChosenLanguageMiddleware",
    "puhui.web.middleware.RejectNulMiddleware",
    "django.middleware.common.CommonMiddleware",
    "puhui.core.api_handler.AnonymousUntilAuthenticated",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "puhui.core.audit.AuditContextMiddleware",
    "puhui.core.api_handler.TokenLoginGuards",  # PUHUI_API_LOGIN_GUARDS, for the token endpoint only
]
PUHUI_API_LOGIN_GUARDS = ["axes.middleware.AxesMiddleware", "puhui.core.security.LoginRateLimitMiddleware"]

ROOT_URLCONF = "puhui.urls"
WSGI_APPLICATION = "puhui.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "puhui.web.context_processors.platform",
            ],
        },
    },
]


def _database_config() -> dict:
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_health_checks=True)
        # A new PostgreSQL connection per request costs a backend start, SCRAM authentication and cold catalog
        # caches: 16 ms of database CPU per money request (bench money), more than the request itself. So
        # connections are kept a minute; the health check replaces one the server closed meanwhile.
        default_age = "60" if config["ENGINE"] == "django.db.backends.postgresql" else "0"
        config["CONN_MAX_AGE"] = int(os.environ.get("PUHUI_DB_CONN_MAX_AGE", default_age))
        if config["ENGINE"] == "django.db.backends.postgresql":
            config["ENGINE"] = "puhui.core.postgresql"  # Django's, with a health check without a round trip
            # Statements of the money path (core.bulk.prepared_cursor) are prepared from their fifth run on a
            # connection; Django's own cursors bind on the client and are never prepared. A pooler in
            # transaction mode in front of PostgreSQL would need this off (PUHUI_DB_PREPARE_THRESHOLD=off).
            threshold = os.environ.get("PUHUI_DB_PREPARE_THRESHOLD", "5")
            config.setdefault("OPTIONS", {})["prepare_threshold"] = None if threshold == "off" else int(threshold)
            # Those prepared statements are lookups by key, for which the generic plan is the plan: PostgreSQL
            # would plan each five times per connection, and again whenever an ANALYZE of a hot table (a line
            # is updated by every posting) invalidates it, before settling on the generic one. Django's own
            # statements are not prepared and plan as before. "auto" is PostgreSQL's default.
            plan_cache_mode = os.environ.get("PUHUI_DB_PLAN_CACHE_MODE", "force_generic_plan")
            options = config["OPTIONS"].get("options", "")  # the URL's own (?options=…) come first
            if plan_cache_mode != "auto" and "plan_cache_mode" not in options:
                config["OPTIONS"]["options"] = f"{options} -c plan_cache_mode={plan_cache_mode}".strip()
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config["OPTIONS"] = _SQLITE_OPTIONS
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "puhui.sqlite3",
        "OPTIONS": _SQLITE_OPTIONS,
    }


# WAL lets readers run beside the single writer; IMMEDIATE takes the write lock at BEGIN, so two
# writers queue on busy_timeout instead of failing with "database is locked" on lock upgrade.
_SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
    ),
}

DATABASES = {"default": _database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "org.User"

AUTHENTICATION_BACKENDS = [
    "puhui.core.lockout.LockoutBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-axes: DOMAIN default — 5 failures lock the account for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("PUHUI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("PUHUI_LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
# Locking by IP would lock a whole branch behind one NAT address after five typos by anyone; the
# account is what DOMAIN asks to lock. Per-IP throttling of the login and token endpoints is separate.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "puhui.core.lockout.lockout_response"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [SRC_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if PUHUI_ENV in {"dev", "test"}
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

if PUHUI_ENV in {"dev", "test"}:
    # Serve static files straight from the apps, no collectstatic needed while developing and testing.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Personal data at rest (DOMAIN §7): AES-GCM key, urlsafe base64 of 32 bytes. Outside production a key is
# generated once under var/; losing it loses the data, so production must supply and back it up.
PUHUI_PII_KEY = secret_from_env_or_file(
    "PUHUI_PII_KEY", VAR_DIR / "pii_key", required=PRODUCTION, factory=pii_key_new_text
)

AUDITLOG_MASK_CALLABLE = "puhui.core.audit.mask_for_audit"

# A running background job with no heartbeat for longer than this is reported interrupted (中断) and may be started
# again (puhui.core.jobs; it beats every tenth of it). 5 minutes: far beyond a lock wait or a pause.
PUHUI_JOB_STALE_SECONDS = int(os.environ.get("PUHUI_JOB_STALE_SECONDS", "300"))

# Background jobs: django-tasks with the database backend (a `puhui db_worker` process runs them).
TASKS = {"default": {"BACKEND": os.environ.get("PUHUI_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# Uploads: photos at most 10 MB; workbooks at most 20 MB (a 100,000-row register is about 5 MB).
PUHUI_PHOTO_MAX_BYTES = int(os.environ.get("PUHUI_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
PUHUI_IMPORT_MAX_BYTES = int(os.environ.get("PUHUI_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# From this many rows on, an import encrypts on a second core (a forked helper process).
PUHUI_IMPORT_PARALLEL_MIN_ROWS = int(os.environ.get("PUHUI_IMPORT_PARALLEL_MIN_ROWS", "20000"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Credit rules (loan term, penalty, settlement day, classification bands) are data: the credit rules row
# in the admin (credit.CreditRules), with DOMAIN §4's defaults.

# API tokens (API.md): default lifetime 12 hours.
PUHUI_TOKEN_TTL = timedelta(hours=float(os.environ.get("PUHUI_TOKEN_TTL_HOURS", "12")))

# Security headers (puhui.core.security). Scripts only from our own files: no inline script, no eval. Styles allow
# 'unsafe-inline' because Bootstrap's progress bars take their width as a style attribute and ECharts writes
# tooltips as HTML with style attributes; a style cannot run code, a script could.
PUHUI_CONTENT_SECURITY_POLICY = os.environ.get(
    "PUHUI_CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'",
)
# Failed logins per client address (login page and API token together): "N/SECONDS". The test suite logs in
# from one address all the time; its own tests of the limit set a low one.
PUHUI_LOGIN_RATE_LIMIT = os.environ.get("PUHUI_LOGIN_RATE_LIMIT", "10000/60" if PUHUI_ENV == "test" else "30/600")
# Behind a reverse proxy the client address is in a header the proxy sets (e.g. HTTP_X_REAL_IP); empty: REMOTE_ADDR.
PUHUI_CLIENT_IP_HEADER = os.environ.get("PUHUI_CLIENT_IP_HEADER", "")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("PUHUI_SESSION_SECONDS", str(8 * 3600)))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = os.environ.get("PUHUI_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("PUHUI_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PUHUI_LOG_LEVEL", "WARNING")},
}
