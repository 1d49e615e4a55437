"""Inward settings, read once from the environment with safe defaults.

See docs/configuration.md for every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from inward.lib.email_url import parse_email_url
from inward.lib.env import env_bool, env_int, env_list, env_str, secret_key_from

PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("INWARD_VAR_DIR", str(Path.cwd() / "var"))).resolve()

SECRET_KEY = secret_key_from(VAR_DIR)
# Earlier keys, comma-separated, still accepted when verifying: rotate SECRET_KEY without
# breaking the tracking and preference links in messages already sent.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])
DEBUG = env_bool("DEBUG", default=False)
PRODUCTION = env_bool("INWARD_PRODUCTION", default=False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
    "inward.accounts",
    "inward.directory",
    "inward.audiences",
    "inward.audit",
    "inward.campaigns",
    "inward.delivery",
    "inward.learning",
    "inward.analytics",
    "inward.xapi",
    "inward.highlights",
    "inward.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "inward.urls"
WSGI_APPLICATION = "inward.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["inward.accounts.backends.CaseInsensitiveModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inward.web.context_processors.navigation",
            ],
        },
    },
]

_DEFAULT_DB_URL = f"sqlite:///{VAR_DIR / 'inward.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(env_str("DATABASE_URL", _DEFAULT_DB_URL), conn_max_age=60)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while the worker writes; IMMEDIATE avoids
        # "database is locked" on upgrade from a read to a write transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": env_str("INWARD_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_THROTTLE_ATTEMPTS = env_int("INWARD_LOGIN_ATTEMPTS", default=5)
LOGIN_THROTTLE_WINDOW = env_int("INWARD_LOGIN_WINDOW_SECONDS", default=900)

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch")), ("fy", _("West Frisian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Django has no number or date formats for West Frisian: ours (inward/formats/fy/).
FORMAT_MODULE_PATH = ["inward.formats"]
USE_I18N = True
TIME_ZONE = env_str("TIME_ZONE", "Europe/Amsterdam")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

MAILERS = {"default": parse_email_url(env_str("EMAIL_URL", "console://"))}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Inward <inward@localhost>")

# Content Security Policy: no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

INWARD_MIN_GROUP_SIZE = env_int("INWARD_MIN_GROUP_SIZE", default=5)
# The address employees reach Inward at: tracking links, preference links, feed links.
INWARD_BASE_URL = env_str("INWARD_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
if PRODUCTION and not INWARD_BASE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        f"INWARD_BASE_URL must be an https:// address in production (got {INWARD_BASE_URL!r})"
    )
# How long the preferences link in a message keeps working.
INWARD_PREFERENCES_LINK_DAYS = env_int("INWARD_PREFERENCES_LINK_DAYS", default=90)
# The sender: how many deliveries one claim takes, and how long its lease lasts.
INWARD_SEND_BATCH = env_int("INWARD_SEND_BATCH", default=200)
INWARD_SEND_LEASE_SECONDS = env_int("INWARD_SEND_LEASE_SECONDS", default=120)
# Retries of transient failures: full-jitter exponential backoff from BASE up to CAP seconds,
# then "failed" after MAX_ATTEMPTS.
INWARD_SEND_RETRY_BASE_SECONDS = env_int("INWARD_SEND_RETRY_BASE_SECONDS", default=30)
INWARD_SEND_RETRY_CAP_SECONDS = env_int("INWARD_SEND_RETRY_CAP_SECONDS", default=3600)
INWARD_SEND_MAX_ATTEMPTS = env_int("INWARD_SEND_MAX_ATTEMPTS", default=8)
# Analytics: an enrolment or completion counts for a campaign whose touch reached the person
# at most this many days before; raw events older than the retention are rolled up daily.
INWARD_ATTRIBUTION_WINDOW_DAYS = env_int("INWARD_ATTRIBUTION_WINDOW_DAYS", default=30)
INWARD_EVENT_RETENTION_DAYS = env_int("INWARD_EVENT_RETENTION_DAYS", default=730)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # fontTools (under fpdf2) logs some twenty INFO lines for every PDF it subsets a font for.
    "loggers": {"django_tasks_db": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
