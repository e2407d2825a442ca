"""Settings, read from the environment only.

DATABASE_URL   default: SQLite under var/ (the embedded default for `make run`)
SECRET_KEY     default: generated once into var/secret_key
DEBUG          off unless "1"/"true"
ALLOWED_HOSTS  comma-separated; default: localhost names
SECURE         "1" in production behind TLS: secure cookies, HSTS, SSL redirect
TRUSTED_PROXIES  comma-separated IPs/CIDRs of reverse proxies whose X-Forwarded-For is
               believed (default: none; see docs/operations.md, "Behind a proxy")
VAR_DIR        where runtime files live (default: ./var)
EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS,
EMAIL_USE_SSL, DEFAULT_FROM_EMAIL  e-mail of notifications (default: files under VAR_DIR/mail)
SITE_URL       the address people open, for the links in e-mails (e.g. https://kpi.example.vn)
API_RATE_LIMIT, API_AUTH_FAILURE_LIMIT  API requests per client, failed tokens per address
               (defaults 600/min and 30/min; "off" for none)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from thuocdo.core.logs import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def read_secret_key() -> str:
    given = os.environ.get("SECRET_KEY")
    if given:
        return given
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Created once, readable by the owner only; kept across restarts so sessions survive.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return key_file.read_text().strip()


SECRET_KEY = read_secret_key()
DEBUG = env_flag("DEBUG")
SECURE = env_flag("SECURE")
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "thuocdo.core",
    "thuocdo.audit",
    "thuocdo.org",
    "thuocdo.jobs",
    "thuocdo.frameworks",
    "thuocdo.work",
    "thuocdo.evaluations",
    "thuocdo.imports",
    "thuocdo.reports",
    "thuocdo.api",
    "thuocdo.web",
    "thuocdo.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # first of ours: every answer (an early 400 or 413 included) carries its request id
    "thuocdo.core.middleware.RequestOriginMiddleware",
    "thuocdo.core.security_headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "thuocdo.core.input_guard.InputGuardMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "thuocdo.web.errors.ThuocDoErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "thuocdo.config.urls"
WSGI_APPLICATION = "thuocdo.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "thuocdo.web.context.shell",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'thuocdo.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the threaded server and a second writer coexist.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

if os.environ.get("DATABASE_TEST_NAME") and "sqlite" not in DATABASES["default"]["ENGINE"]:
    # Lets parallel test runs on one server keep apart (default: "test_" + NAME).
    DATABASES["default"]["TEST"] = {"NAME": os.environ["DATABASE_TEST_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Repeated failed logins lock the username from that address for a while.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# The real client address (thuocdo.core.client_ip): REMOTE_ADDR unless the peer is a trusted
# proxy, then the right-most X-Forwarded-For hop that is not one.
TRUSTED_PROXIES = [
    entry.strip() for entry in os.environ.get("TRUSTED_PROXIES", "").split(",") if entry.strip()
]
AXES_CLIENT_IP_CALLABLE = "thuocdo.core.client_ip.client_ip"

# Long work runs as jobs: queued in the database, run by `manage db_worker` processes.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("JOBS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Running jobs report progress through the cache: files under VAR_DIR on one machine,
# Redis (CACHE_URL=redis://…) when web and workers run on several.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if (CACHE_URL := os.environ.get("CACHE_URL", ""))
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    ),
    # API rate counters (thuocdo.api.throttle): shared by every web worker of the machine.
    "throttle": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "throttle"),
        }
    ),
}
# Requests per integration client, and requests with a wrong token per client address
# ("off" for no limit). Over the limit: 429 with Retry-After.
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "600/min")
API_AUTH_FAILURE_LIMIT = os.environ.get("API_AUTH_FAILURE_LIMIT", "30/min")

# Notifications by e-mail (org.notices). Without EMAIL_BACKEND the messages are written
# under VAR_DIR/mail (the demo and `make run`): nothing leaves the machine until an
# operator sets the SMTP backend and server. SITE_URL makes the links in them absolute.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_flag("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "thuocdo@localhost")
SITE_URL = os.environ.get("SITE_URL", "").rstrip("/")

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "thuocdo_language"
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers and cookies; SECURE=1 adds what needs TLS in front.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Sent on every response by thuocdo.core.security_headers (docs/operations.md).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), midi=(), magnetometer=(), "
    "gyroscope=(), accelerometer=(), display-capture=(), fullscreen=(self)"
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = SECURE
SECURE_HSTS_SECONDS = 31536000 if SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
if env_flag("BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# /metrics for Prometheus (docs/operations.md "Metrics"): off unless METRICS=1; read only
# from METRICS_FROM (IPs or CIDRs, default this machine)
METRICS = os.environ.get("METRICS", "") == "1"
METRICS_FROM = [
    entry.strip()
    for entry in os.environ.get("METRICS_FROM", "127.0.0.1,::1").split(",")
    if entry.strip()
]
if METRICS:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE.insert(0, "django_prometheus.middleware.PrometheusBeforeMiddleware")
    MIDDLEWARE.append("django_prometheus.middleware.PrometheusAfterMiddleware")

# JSON lines with the request id (docs/operations.md "Logs"); LOG_FORMAT=text for a console
LOGGING = logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    fmt=os.environ.get("LOG_FORMAT", "json").lower(),
)
