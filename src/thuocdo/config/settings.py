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
SIGNING_PKCS12_FILE, SIGNING_PKCS12_PASSWORD or SIGNING_PKCS12_PASSWORD_FILE, SIGNING_REASON,
SIGNING_LOCATION, SIGNING_TIMESTAMP_URL  the agency's certificate that signs the form PDFs
               (PAdES; off unless SIGNING_PKCS12_FILE is set; docs/signing.md)
OIDC_ENABLED, OIDC_RP_CLIENT_ID, OIDC_RP_CLIENT_SECRET, OIDC_OP_AUTHORIZATION_ENDPOINT,
OIDC_OP_TOKEN_ENDPOINT, OIDC_OP_USER_ENDPOINT, OIDC_OP_JWKS_ENDPOINT, OIDC_OP_ISSUER,
OIDC_RP_SIGN_ALGO, OIDC_RP_SCOPES, OIDC_PERSON_CLAIM, OIDC_PERSON_FIELD, OIDC_USE_PKCE,
OIDC_VERIFY_SSL, OIDC_TIMEOUT  single sign-on beside local accounts (off by default;
               docs/sso.md)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

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

# Single sign-on through the agency's OpenID Connect provider (docs/sso.md), beside local
# accounts. Off unless OIDC_ENABLED=1, or a client id and an authorization endpoint are given
# (OIDC_ENABLED=0 keeps it off then). Off, none of it is active: no backend, no /oidc/ URLs,
# no button. SSO never creates accounts: one claim of the identity names an official.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")  # when set, the id_token's "iss" must match
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile email")
OIDC_PERSON_CLAIM = os.environ.get("OIDC_PERSON_CLAIM", "preferred_username")
OIDC_PERSON_FIELD = os.environ.get("OIDC_PERSON_FIELD", "code")  # or "email"
OIDC_ENABLED = env_flag(
    "OIDC_ENABLED", default=bool(OIDC_RP_CLIENT_ID and OIDC_OP_AUTHORIZATION_ENDPOINT)
)
OIDC_USE_PKCE = env_flag("OIDC_USE_PKCE", default=True)
# "0" skips TLS checks (tests only); a path names the agency's CA bundle.
_oidc_verify = os.environ.get("OIDC_VERIFY_SSL", "").strip()
OIDC_VERIFY_SSL: bool | str = (
    _oidc_verify if "/" in _oidc_verify else _oidc_verify.lower() not in {"0", "false", "no"}
)
OIDC_TIMEOUT = float(os.environ.get("OIDC_TIMEOUT", "10"))
OIDC_CREATE_USER = False
OIDC_CALLBACK_CLASS = "thuocdo.web.sso.SSOCallbackView"
if OIDC_PERSON_FIELD not in {"code", "email"}:
    raise ImproperlyConfigured(
        f"OIDC_PERSON_FIELD={OIDC_PERSON_FIELD!r}: use 'code' (the official's code) or 'email'"
    )
if OIDC_ENABLED:
    _oidc_missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_ID",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED needs {', '.join(_oidc_missing)} (docs/sso.md)")
    INSTALLED_APPS.append("mozilla_django_oidc")
    # Axes stays first: it refuses a locked-out password login before anyone looks.
    AUTHENTICATION_BACKENDS.append("thuocdo.web.sso.PersonOIDCBackend")
    AXES_WHITELIST_CALLABLE = "thuocdo.web.sso.axes_leaves_sso_alone"

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

# Signed forms (docs/signing.md): every form PDF signed PAdES with the agency's certificate
# (a PKCS#12 with its chain) once SIGNING_PKCS12_FILE is set; off by default. The password
# from SIGNING_PKCS12_PASSWORD or, better, a file readable by the service only. An optional
# RFC 3161 time-stamp server (SIGNING_TIMESTAMP_URL), e.g. the agency's own.
SIGNING_PKCS12_FILE = os.environ.get("SIGNING_PKCS12_FILE", "").strip()
SIGNING_PKCS12_PASSWORD = os.environ.get("SIGNING_PKCS12_PASSWORD", "")
SIGNING_PKCS12_PASSWORD_FILE = os.environ.get("SIGNING_PKCS12_PASSWORD_FILE", "").strip()
SIGNING_REASON = os.environ.get("SIGNING_REASON", "").strip()
SIGNING_LOCATION = os.environ.get("SIGNING_LOCATION", "").strip()
SIGNING_TIMESTAMP_URL = os.environ.get("SIGNING_TIMESTAMP_URL", "").strip()

# JSON lines with the request id (docs/operations.md "Logs"); LOG_FORMAT=text for a console
LOGGING = logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO").upper(),
    fmt=os.environ.get("LOG_FORMAT", "json").lower(),
)
