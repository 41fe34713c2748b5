"""Compact Portal settings: one module, every value from the environment.

With nothing set, the portal runs for development: SQLite in the project folder, Celery tasks run
eagerly in-process, e-mail printed to the console. Production (``DEBUG=false``) requires a real
``SECRET_KEY`` and ``ALLOWED_HOSTS`` and switches on HTTPS-only defaults. A value that cannot be
understood stops start-up with an ``ImproperlyConfigured`` naming the variable.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEV_SECRET_KEY = "django-insecure-compact-portal-development-key-do-not-use-in-production"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable strictly: a typo such as DEBUG=ture stops start-up."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false (1/0, yes/no, on/off); got {raw!r}.")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}; got {value}.")
    return value


def env_rate(name: str, default: str) -> str:
    """Read a rate such as 20/h (a positive count per s, m, h or d), the form django-ratelimit takes."""
    raw = env.str(name, default=default).strip()
    if not re.fullmatch(r"[1-9][0-9]*/[smhd]", raw):
        raise ImproperlyConfigured(f"{name} must be a number of requests per s, m, h or d, such as 20/h; got {raw!r}.")
    return raw


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY.startswith("django-insecure-") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 50 characters when DEBUG is off "
        "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the portal's host names when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "compact_portal.admin_site.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_filters",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "compact_portal",
    "compact_portal.accounts",
    "commitments",
    "funding",
    "consultations",
    "disputes",
]

MIDDLEWARE = [
    # First, so every response, refusals by the middleware below included, turns off camera, microphone, etc.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Early, so nothing reads a request body over UPLOAD_MAX_REQUEST_BYTES: it is answered 413 unread.
    "compact_portal.uploads.RequestSizeLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the path or query: a NUL byte in either is answered 400 (compact_portal/middleware.py).
    "compact_portal.middleware.RefuseNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: ends idle and over-long sessions, and keeps a form sent after its session ended.
    "compact_portal.session_timeout.SessionTimeoutMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a sign-in refused for lockout into the "locked out" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "compact_portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "compact_portal.context_processors.navigation",
                "compact_portal.session_timeout.session_timeout",
            ],
        },
    },
]

WSGI_APPLICATION = "compact_portal.wsgi.application"

# --- Database -----------------------------------------------------------------------------------
_SUPPORTED_DB_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql", "psql")
DATABASE_URL = env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
if DATABASE_URL.split(":", 1)[0] not in _SUPPORTED_DB_SCHEMES:
    raise ImproperlyConfigured(
        "DATABASE_URL must be a sqlite:/// or postgres:// URL, "
        f"for example postgres://postgres@127.0.0.1:5432/compact_portal; got {DATABASE_URL!r}."
    )
DATABASES = {"default": env.db_url_config(DATABASE_URL)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Axes first: it refuses a locked-out account or address before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "compact_portal.accounts.backends.SignInLockoutBackend",
    "compact_portal.accounts.backends.RoleAwareBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # a reset link works for one day
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# How often a report's page, while the report is being prepared, asks whether it is ready (static/js/report-status.js).
REPORT_STATUS_POLL_SECONDS = 5

# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after signing in, whatever the
# activity (OWASP ASVS 3.3; compact_portal/session_timeout.py). The cookie and the stored session last no longer.
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_MAX_SECONDS = env_int("SESSION_MAX_HOURS", 12, minimum=1) * 60 * 60
SESSION_COOKIE_AGE = SESSION_MAX_SECONDS

# Sign-in lockout (django-axes): after SIGN_IN_FAILURE_LIMIT failures in a row for one e-mail address, or
# from one client address, that account or address is refused for SIGN_IN_LOCKOUT_MINUTES. Attempts are
# kept in the database, so every web process sees them; a successful sign-in clears the count.
AXES_FAILURE_LIMIT = env_int("SIGN_IN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGN_IN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the sign-in form's field (it holds the e-mail address)
AXES_USERNAME_CALLABLE = "compact_portal.accounts.security.sign_in_username"
AXES_CLIENT_IP_CALLABLE = "compact_portal.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "compact_portal.accounts.views.locked_out"
AXES_VERBOSE = False

# Rate limits (django-ratelimit, counted in the cache below): "N/period", the period s, m, h or d.
RATE_LIMIT_CONCERNS = env_rate("RATE_LIMIT_CONCERNS", "20/h")  # concern form posts, per person
RATE_LIMIT_SIGN_UP = env_rate("RATE_LIMIT_SIGN_UP", "10/h")  # applications to sign a compact, per address
RATE_LIMIT_PASSWORD_RESET = env_rate("RATE_LIMIT_PASSWORD_RESET", "5/h")  # reset requests, per address and e-mail
RATELIMIT_IP_META_KEY = "compact_portal.accounts.security.client_ip"

# Two-factor sign-in (django-otp, time-based codes from an authenticator app; optional, for champions and
# administrators). The issuer is the name the app shows beside the codes.
OTP_TOTP_ISSUER = env.str("OTP_ISSUER", default="Compact Portal")

# --- Language, time and UK formats --------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English")]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/London")
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["compact_portal.formats"]

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Attachments live under MEDIA_ROOT, which has no URL: views check permission, then serve them.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, minimum=1)  # per file
# A DOCX or OpenDocument file (a ZIP) is refused if it unpacks to more than this, or (past 1 MB unpacked) to
# more than this many times its size: a "zip bomb".
UPLOAD_MAX_UNCOMPRESSED_BYTES = env_int("UPLOAD_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1)
UPLOAD_MAX_COMPRESSION_RATIO = env_int("UPLOAD_MAX_COMPRESSION_RATIO", 100, minimum=1)
# A request body over this is answered 413 before it is read (compact_portal.uploads.RequestSizeLimitMiddleware):
# by default five files at the limit and 1 MB of form. The proxy in front should refuse the same
# (docs/security.md, "Uploads").
UPLOAD_MAX_REQUEST_BYTES = env_int("UPLOAD_MAX_REQUEST_BYTES", 5 * UPLOAD_MAX_BYTES + 1024 * 1024, minimum=1)
# Django's own limits, at their defaults, said here: form fields other than files may take 2.5 MB in all (more
# is refused with 400), and an uploaded file over 2.5 MB is streamed to a temporary file, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Dotted path to scan(file) -> None raising ValidationError when infected; a failing scanner refuses.
UPLOAD_SCANNER = env.str("UPLOAD_SCANNER", default="") or None
# Production serves hashed, compressed files collected by `collectstatic`; development and tests
# serve straight from the apps' and packages' static folders, so no collectstatic is needed.
USE_MANIFEST_STATIC = env_bool("USE_MANIFEST_STATIC", not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if USE_MANIFEST_STATIC
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not USE_MANIFEST_STATIC
WHITENOISE_AUTOREFRESH = not USE_MANIFEST_STATIC  # look files up per request; no collected folder needed

# --- E-mail -------------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.org:587 (default: print to the console).
_email = env.email_url_config(env.str("EMAIL_URL", default="consolemail://"))
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Compact Portal <no-reply@compact-portal.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery -------------------------------------------------------------------------------------
# Unset broker: tasks run eagerly in the web process, so a new machine needs no Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
if CELERY_BROKER_URL and not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL must be a redis:// URL such as redis://127.0.0.1:6379/0; got {CELERY_BROKER_URL!r}."
    )
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A Redis that is down or hung must not hold up the web request that queues a task (a case step's e-mails
# are queued once it commits). Each connection attempt waits at most 2 s and each command at most 3 s (more
# than the worker's 1 s BRPOP), and a task is published with one retry, which is enough to get past a
# connection dropped by a restarted Redis. Redis down: queuing fails in well under a second; hung (accepting
# connections, never answering): in about 10 s at worst, where the defaults wait for ever. The result store
# (the same Redis unless CELERY_RESULT_BACKEND says otherwise) gets the same bounds. What cannot be queued is
# not lost: case e-mails wait in their outbox for the scheduled run (docs/operations.md, "When things fail").
_REDIS_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 3}
_ONE_QUICK_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = dict(_REDIS_TIMEOUTS)
CELERY_TASK_PUBLISH_RETRY_POLICY = dict(_ONE_QUICK_RETRY)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = _REDIS_TIMEOUTS["socket_connect_timeout"]
CELERY_REDIS_SOCKET_TIMEOUT = _REDIS_TIMEOUTS["socket_timeout"]
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": dict(_ONE_QUICK_RETRY)}

# --- Bank holidays ------------------------------------------------------------------------------
# The weekly task compact_portal.refresh_bank_holidays stores GOV.UK's list here (bank-holidays.json) and every
# process reads it from here: the web processes and the worker must see the same directory. Until it has run,
# the copy shipped in the govuk-bank-holidays package is used (compact_portal/working_days.py).
BANK_HOLIDAYS_DIR = Path(env.str("BANK_HOLIDAYS_DIR", default=str(MEDIA_ROOT / "bank-holidays")))

# --- Cache ------------------------------------------------------------------------------------
# Holds the rate-limit counters. Production sets CACHE_URL to a Redis database of its own (not the broker's:
# clearing a cache empties its whole database), e.g. redis://127.0.0.1:6379/1, so every web process shares
# the counts. Unset, each process counts in its own memory (development, tests).
CACHE_URL = env.str("CACHE_URL", default="locmemcache://")
try:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
except Exception as error:  # django-environ raises several kinds for an unknown scheme
    raise ImproperlyConfigured(f"CACHE_URL must be a redis:// or locmemcache:// URL; got {CACHE_URL!r}.") from error
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # A cache that is away must not hang a request: fail fast (rate limits then let the request through).
    CACHES["default"]["OPTIONS"] = {"socket_connect_timeout": 1, "socket_timeout": 1}

# --- Security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# No script reads the CSRF cookie: a script that posts takes the token from the page's form (a test checks static/).
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Permissions-Policy (django-permissions-policy): the portal uses none of these browser features, so no page, nor
# anything framed in one, may ask for them.
PERMISSIONS_POLICY = {"camera": [], "microphone": [], "geolocation": [], "payment": []}
# Behind a proxy that terminates HTTPS, the client's address is the last one the proxy added to
# X-Forwarded-For (sign-in lockout and rate limits count by it); otherwise it is the connection's.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
# Content Security Policy (django-csp): scripts, styles, images and fonts from the portal itself only, no
# inline scripts or styles (the pages have none; charts are SVG styled with attributes), no plugins, no
# framing, forms post only back to the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if BEHIND_TLS_PROXY:
        # Only behind a proxy that strips and sets this header itself.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals_without_traceback": {"()": "compact_portal.log_filters.RefusalsWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["refusals_without_traceback"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Django's own "django" logger writes to a console of its own when DEBUG is on, and then passes the record on
    # to the root's: every refusal and error was written twice. Its records go to the root's handler alone.
    # A refusal's record loses its traceback where it is made (django.request), before any handler sees it; the
    # console's filter does the same for the refusals Django logs elsewhere (django.security.*).
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["refusals_without_traceback"], "propagate": True},
    },
}
PORTAL_BASE_URL = env.str("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")


# --- The API (/api/v1/; compact_portal/api/) -----------------------------------------------------------------------
# Django REST framework with drf-spectacular's OpenAPI 3 document. Public reads need no sign-in; writes need an API
# token of a body (compact_portal.accounts.models.ApiToken). Lists are paginated; every address is rate limited.
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": ["compact_portal.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "compact_portal.api.writes.TokenRateThrottle",  # counted per token, on every endpoint
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_RATE_ANONYMOUS", default="600/hour"),
        "user": env("API_RATE_TOKEN", default="3600/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Compact Portal API",
    "DESCRIPTION": "What the compacts make public, openly licensed; and invoices and payments in from finance systems.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Fields named alike (a compact's and a signature's status; an organisation's and a commitment's side) hold
    # different choices: each set gets a name of its own.
    "ENUM_NAME_OVERRIDES": {
        "SideEnum": "commitments.models.Side",
        "CompactStatusEnum": "commitments.models.CompactStatus",
    },
}
