"""The one settings module of Halte.

Everything that differs between a laptop and production is read from the environment. Development
defaults are safe (SQLite under ``var/``, console email); ``HALTE_ENV=production`` refuses to start
without a secret key, allowed hosts and a real database, and turns on every transport protection so
that ``manage.py check --deploy`` is clean.
"""

import warnings
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from halte.core.storage_url import default_storage as storage_backend
from halte.core.storage_url import parse as parse_storage_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HALTE_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def secret(name: str, default: str | None = None) -> str | None:
    """Read a secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or "contenu illisible"
            raise ImproperlyConfigured(f"{name}_FILE : le fichier {path} ne peut pas être lu ({reason}).") from None
    return env.str(name, default=default)


HALTE_ENV = env.str("HALTE_ENV", default="development")
if HALTE_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("HALTE_ENV doit valoir « development » ou « production ».")
PRODUCTION = HALTE_ENV == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG ne peut pas être activé en production.")

SECRET_KEY = secret("SECRET_KEY", default=None if PRODUCTION else "dev-only-insecure-key-change-me")
if not SECRET_KEY or (PRODUCTION and len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY (ou SECRET_KEY_FILE) est obligatoire en production et doit compter au moins 50 caractères."
    )

# Former secrets, while SECRET_KEY is being rotated (comma-separated, or SECRET_KEY_FALLBACKS_FILE):
# signatures made with them keep working, and so do receipt codes issued before receipt keys existed.
SECRET_KEY_FALLBACKS = [s.strip() for s in (secret("SECRET_KEY_FALLBACKS", default="") or "").split(",") if s.strip()]

# Receipt codes are looked up by an HMAC under keys of their own (halte.reports.receipts), so that a
# SECRET_KEY rotation never breaks them: "id:secret,…", the current key first (or HALTE_RECEIPT_KEYS_FILE).
# Required in production (check --deploy).
HALTE_RECEIPT_KEYS = secret("HALTE_RECEIPT_KEYS", default="") or ""

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS est obligatoire en production.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Where the site is reachable, used in emails (never the request's Host header). Required in production
# (halte.core.checks); in development it follows the port `make run PORT=…` serves on.
SITE_URL = env.str("SITE_URL", default="" if PRODUCTION else f"http://127.0.0.1:{env.int('PORT', default=8000)}")
SITE_URL = SITE_URL.rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",
    "ninja",
    "dsfr",
    "widget_tweaks",
    "halte.core",
    "halte.delivery",
    "halte.accounts",
    "halte.audit",
    "halte.directory",
    "halte.notifications",
    "halte.reports",
    "halte.cases",
    "halte.meetings",
    "halte.interventions",
    "halte.documents",
    "halte.prevention",
    "halte.stats",
    "halte.www",
    "halte.demo",
]

MIDDLEWARE = [
    # First, so that its duration covers everything: one log line per request (halte.core.logs).
    "halte.core.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "halte.core.headers.SecurityHeadersMiddleware",
    # Before whitenoise, so that static files (SVG icons among them) carry the policy too.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Its response step runs before the session is saved: a connection lost mid-request is replaced.
    "halte.core.faults.HealConnectionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Under /api/, every error is JSON in French (unknown address, wrong method, body too big, 500).
    "halte.api.errors.ApiErrorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "halte.access.middleware.MembershipMiddleware",
    "halte.access.middleware.AccessPolicyMiddleware",
]

ROOT_URLCONF = "halte.urls"
WSGI_APPLICATION = "halte.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "halte" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "halte.www.context_processors.site",
                "halte.reports.voice.context_processor",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
_default_db = f"sqlite:///{VAR_DIR / 'halte.sqlite3'}"
if PRODUCTION and not (env.str("DATABASE_URL", default="") or env.str("DATABASE_URL_FILE", default="")):
    raise ImproperlyConfigured("DATABASE_URL est obligatoire en production (PostgreSQL).")
_database_url = secret("DATABASE_URL", default=_default_db) or ""
try:
    with warnings.catch_warnings():
        # django-environ warns about an unknown scheme by printing the parsed URL, password included.
        warnings.simplefilter("ignore")
        DATABASES = {"default": env.db_url_config(_database_url)}
except (ValueError, KeyError, TypeError):
    DATABASES = {"default": {}}
if not DATABASES["default"].get("ENGINE") or not DATABASES["default"].get("NAME"):
    # Never the URL itself in the message: it carries the password.
    raise ImproperlyConfigured(
        "DATABASE_URL (ou DATABASE_URL_FILE) est illisible : attendu postgres://rôle:mot_de_passe@hôte:5432/base "
        "(un mot de passe contenant @, : ou / s’écrit encodé : %40, %3A, %2F)."
    )
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("La production exige PostgreSQL : DATABASE_URL doit commencer par postgres://.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compilation: Halte's queries are short, and on the statistics' aggregates the compilation
    # alone cost seconds for nothing (docs/architecture.md, "Steering figures at scale").
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and authentication ----------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "www:staff_home"
LOGOUT_REDIRECT_URL = "www:home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour: a reset link is a key to a child-protection tool

# Idle timeout: a session lives 30 minutes after the last request.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
# A refused form (cookies blocked…) gets a page in French with the quick exit, not Django's plain 403.
CSRF_FAILURE_VIEW = "halte.www.views.csrf_failure"

OTP_TOTP_ISSUER = env.str("HALTE_OTP_ISSUER", default="Halte")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Password guessing is slowed down per account, per client (keyed hash of the address, never the
# address) and per trusted browser: see halte.accounts.throttle. Behind a reverse proxy, say how many
# proxies add themselves to X-Forwarded-For so that the client's own address is the one counted.
HALTE_PROXY_COUNT = env.int("HALTE_PROXY_COUNT", default=0)
HALTE_DEVICE_COOKIE_NAME = "__Host-halte-device" if PRODUCTION else "halte_device"

# ProConnect, the State's OpenID Connect for public agents (halte.accounts.proconnect). Off unless a
# client id is given. Accounts are matched by address to accounts created beforehand, never created.
_PROCONNECT_ISSUER = env.str("PROCONNECT_ISSUER", default="https://auth.proconnect.gouv.fr/api/v2").rstrip("/")
HALTE_PROCONNECT = {
    "ENABLED": bool(env.str("PROCONNECT_CLIENT_ID", default="")),
    "CLIENT_ID": env.str("PROCONNECT_CLIENT_ID", default=""),
    "CLIENT_SECRET": secret("PROCONNECT_CLIENT_SECRET", default="") or "",
    "AUTHORIZATION_ENDPOINT": env.str("PROCONNECT_AUTHORIZATION_ENDPOINT", default=f"{_PROCONNECT_ISSUER}/authorize"),
    "TOKEN_ENDPOINT": env.str("PROCONNECT_TOKEN_ENDPOINT", default=f"{_PROCONNECT_ISSUER}/token"),
    "USERINFO_ENDPOINT": env.str("PROCONNECT_USERINFO_ENDPOINT", default=f"{_PROCONNECT_ISSUER}/userinfo"),
    "JWKS_ENDPOINT": env.str("PROCONNECT_JWKS_ENDPOINT", default=f"{_PROCONNECT_ISSUER}/jwks"),
    "END_SESSION_ENDPOINT": env.str("PROCONNECT_END_SESSION_ENDPOINT", default=f"{_PROCONNECT_ISSUER}/session/end"),
    "SIGN_ALGO": env.str("PROCONNECT_SIGN_ALGO", default="RS256"),
    "SCOPES": env.str("PROCONNECT_SCOPES", default="openid email given_name usual_name uid"),
    # `acr` values (or an `amr` containing "mfa") that mean the agent already used a second factor.
    "MFA_ACR_VALUES": env.list(
        "PROCONNECT_MFA_ACR_VALUES",
        default=[
            "eidas2",
            "eidas3",
            "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
            "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
        ],
    ),
    # Refuse an address the provider does not say it verified (`email_verified` absent or false).
    "REQUIRE_EMAIL_VERIFIED": env.bool("PROCONNECT_REQUIRE_EMAIL_VERIFIED", default=True),
    "TIMEOUT": env.int("PROCONNECT_TIMEOUT", default=10),
}
if PRODUCTION and HALTE_PROCONNECT["ENABLED"] and not HALTE_PROCONNECT["CLIENT_SECRET"]:
    raise ImproperlyConfigured("PROCONNECT_CLIENT_SECRET (ou _FILE) est obligatoire quand ProConnect est activé.")

# Shared by every process and every machine (rate limits must hold across workers): the database by
# default, no extra service to run; Redis when REDIS_URL (or REDIS_URL_FILE) names one, e.g.
# redis://:password@cache.internal:6379/0 or rediss://… for TLS.
_REDIS_URL = secret("REDIS_URL", default="") or ""
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS_URL, "KEY_PREFIX": "halte"}
        if _REDIS_URL
        else {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "halte_cache"}
    )
}

# --- Background work (halte/delivery: a job queue in the database, `manage.py worker`) -----------
HALTE_JOBS = {
    # Run each job in the web process right after its transaction commits (development, tests).
    # In production a worker (`manage.py worker`) empties the queue.
    "IMMEDIATE": env.bool("HALTE_JOBS_IMMEDIATE", default=not PRODUCTION),
    "MAX_ATTEMPTS": env.int("HALTE_JOBS_MAX_ATTEMPTS", default=6),
    # Seconds to wait before the 2nd, 3rd… attempt (the last value repeats).
    "BACKOFF": env.list("HALTE_JOBS_BACKOFF", cast=int, default=[60, 300, 900, 3600, 10800]),
    # A running job's lease, renewed by the worker every third of it; a job whose lease ran out
    # (its worker died) is taken back by the next claim.
    "LEASE": env.int("HALTE_JOBS_LEASE", default=120),
    # The lease is no longer renewed after this: a job hung that long is given to another worker.
    "MAX_RUNTIME": env.int("HALTE_JOBS_MAX_RUNTIME", default=900),
    "POLL": env.float("HALTE_JOBS_POLL", default=1.0),
}
# /healthz answers 503 beyond these ages (seconds): the last periodic pass, the oldest ready job.
HALTE_HEALTH = {
    "TICK_MAX_AGE": env.int("HALTE_HEALTH_TICK_MAX_AGE", default=300),
    "QUEUE_MAX_AGE": env.int("HALTE_HEALTH_QUEUE_MAX_AGE", default=600),
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français"))]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "halte" / "locale"]

# --- Uploads ------------------------------------------------------------------------------------
# A file whose name is not UTF-8, is empty or is a bare path is kept under a safe name rather than
# silently dropped, and a body larger than any report could carry is refused before it is read
# (halte.core.multipart). DATA_UPLOAD_MAX_MEMORY_SIZE (form fields, JSON bodies) keeps Django's 2.5 MB.
FILE_UPLOAD_HANDLERS = [
    "halte.core.multipart.SafeNamesUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
if env.str("HALTE_MAX_UPLOAD_BYTES", default=""):
    # Else: what one report may carry (the vault's limit) plus the form fields.
    HALTE_MAX_UPLOAD_BYTES = env.int("HALTE_MAX_UPLOAD_BYTES")

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "halte" / "static"]
STORAGES: dict[str, dict] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Several machines: sealed files (evidence, documents, key checks: halte.core.blobs) and uploaded files
# (FileFields) go to an S3-compatible object store, e.g.
# s3://KEY:SECRET@storage.example:9000/bucket/prefix?region=eu-west-3 (or HALTE_STORAGE_URL_FILE):
# see halte.core.storage_url. Empty: both stay in MEDIA_ROOT, on this machine.
HALTE_STORAGE = parse_storage_url(secret("HALTE_STORAGE_URL", default="") or "")
if HALTE_STORAGE is not None:
    STORAGES["default"] = storage_backend(HALTE_STORAGE)
if not PRODUCTION:
    # The embedded default keeps everything under var/: make sure it exists on a fresh clone.
    for _directory in (VAR_DIR, STATIC_ROOT, MEDIA_ROOT):
        _directory.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- Email --------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url_config(
    secret("EMAIL_URL", default="smtp://localhost:25" if PRODUCTION else "consolemail://")
)
vars().update(EMAIL_CONFIG)
# Required in production (halte.core.checks refuses a missing or test-domain sender).
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="" if PRODUCTION else "Halte <ne-pas-repondre@halte.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# A mail server that accepts and never answers must not hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)

# --- Security headers ---------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features no page of Halte uses, switched off for every page and anything it embeds
# (`Permissions-Policy`, set by halte.core.headers).
PERMISSIONS_POLICY_DISABLED = [
    "accelerometer",
    "autoplay",
    "bluetooth",
    "camera",
    "display-capture",
    "encrypted-media",
    "fullscreen",
    "geolocation",
    "gyroscope",
    "hid",
    "identity-credentials-get",
    "idle-detection",
    "interest-cohort",
    "magnetometer",
    "microphone",
    "midi",
    "payment",
    "picture-in-picture",
    "publickey-credentials-get",
    "screen-wake-lock",
    "serial",
    "usb",
    "xr-spatial-tracking",
]
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=63072000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# Strict CSP: everything is served by Halte itself, nothing from a CDN, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        # Logging out of ProConnect is a redirect after the logout form: allow its origin then.
        "form-action": [
            "'self'",
            *([_origin(HALTE_PROCONNECT["END_SESSION_ENDPOINT"])] if HALTE_PROCONNECT["ENABLED"] else []),
        ],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# --- Logging: no IP address, no path, no request body, ever (halte.core.logs) -----------------
# JSON lines in production (LOG_FORMAT=json|plain to choose), one per request with its route name.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"()": "halte.core.logs.PlainFormatter", "format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "halte.core.logs.JsonFormatter"},
    },
    "filters": {"redact_request": {"()": "halte.core.logs.RequestRedactionFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain"),
            "filters": ["redact_request"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's default would also mail the full request (story included) to ADMINS on an error.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"level": "WARNING"},
        # halte.request already has one line per request; Django's lines only for errors.
        "django.request": {"level": "ERROR"},
        # Quiet in development, where runserver prints its own line per request.
        "halte.request": {"level": env.str("LOG_REQUESTS_LEVEL", default="INFO" if PRODUCTION else "WARNING")},
    },
}

# --- Monitoring: metrics and error tracking (both optional) -----------------------------------
# The Prometheus metrics at /exploitation/metriques (halte.core.metrics) answer only to this token
# (Authorization: Bearer …); without it the page does not exist (404). At least 32 characters.
HALTE_METRICS_TOKEN = secret("HALTE_METRICS_TOKEN", default="") or ""
if HALTE_METRICS_TOKEN and len(HALTE_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "HALTE_METRICS_TOKEN (ou HALTE_METRICS_TOKEN_FILE) doit compter au moins 32 caractères : "
        'python3 -c "import secrets; print(secrets.token_urlsafe(32))".'
    )
# Errors sent to Sentry when SENTRY_DSN (or SENTRY_DSN_FILE) is set, stripped of every request body,
# cookie, header, query string, address, user and local variable (halte.core.sentry).
SENTRY_DSN = secret("SENTRY_DSN", default="") or ""
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default=HALTE_ENV)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="") or None
if SENTRY_DSN:
    from halte.core import sentry as _sentry

    _sentry.start(SENTRY_DSN, environment=SENTRY_ENVIRONMENT, release=SENTRY_RELEASE)

# --- Halte --------------------------------------------------------------------------------------
# Where the daily checkpoints of the audit journal are appended (halte/audit/checkpoints.py): in
# production, storage the database's administrators cannot rewrite. Empty: none written (not allowed
# in production).
HALTE_JOURNAL_CHECKPOINT_DIR = env.str("HALTE_JOURNAL_CHECKPOINT_DIR", default=str(VAR_DIR / "journal")) or None
if PRODUCTION and not HALTE_JOURNAL_CHECKPOINT_DIR:
    raise ImproperlyConfigured("HALTE_JOURNAL_CHECKPOINT_DIR is required in production.")

HALTE = {
    "SERVICE_NAME": env.str("HALTE_SERVICE_NAME", default="Halte"),
    "SERVICE_TAGLINE": env.str(
        "HALTE_SERVICE_TAGLINE", default="Cellule d'intervention rapide contre le harcèlement scolaire"
    ),
    "OPERATOR_NAME": env.str(
        "HALTE_OPERATOR_NAME",
        default="Direction des services départementaux de l'Éducation nationale de la Somme",
    ),
    # The operator as it reads inside a sentence, with its article (« édité par la Direction… »).
    "OPERATOR_IN_SENTENCE": env.str(
        "HALTE_OPERATOR_IN_SENTENCE",
        default="la Direction des services départementaux de l'Éducation nationale de la Somme",
    ),
    # The DSFR's Marianne block is reserved to State services; another operator switches it off.
    "STATE_BRANDING": env.bool("HALTE_STATE_BRANDING", default=True),
    "BRAND_LINES": env.list("HALTE_BRAND_LINES", default=["République", "française"]),
    "CONTACT_EMAIL": env.str("HALTE_CONTACT_EMAIL", default="cellule-harcelement@halte.localhost"),
    # The cell itself, per département (code as schools carry it: "080"), as documents and emails name
    # it — never the software's name. JSON: {"080": {"name": "…", "address": "line\\nline", "phone": "…",
    # "email": "…"}}. A département without an entry is named from SERVICE_TAGLINE and CONTACT_EMAIL
    # (halte.directory.cells).
    "CELLS": env.json(
        "HALTE_CELLS",
        default={
            "080": {
                "name": "Cellule d’intervention rapide contre le harcèlement scolaire de la Somme",
                # The cell's postal address is set by its installation (HALTE_CELLS), not guessed here.
                "address": "",
                "phone": "",
                "email": "cellule-harcelement@halte.localhost",
            }
        },
    ),
    "DPO_EMAIL": env.str("HALTE_DPO_EMAIL", default="dpo@halte.localhost"),
    "DEMO_DATA_ALLOWED": not PRODUCTION,
    # Where the quick-exit button leads: a neutral page that raises no question if seen on a screen.
    "QUICK_EXIT_URL": env.str("HALTE_QUICK_EXIT_URL", default="https://meteofrance.com/"),
}

# --- Evidence: antivirus and custody packs ------------------------------------------------------
# The ClamAV daemon that scans every piece of evidence at capture (reports/antivirus.py):
# tcp://host:3310, unix:///run/clamav/clamd.ctl or a socket path. Empty: files are not scanned, the
# staff pages say so, and `check --deploy` warns in production.
HALTE_CLAMD_URL = env.str("HALTE_CLAMD_URL", default="")
HALTE_CLAMD_TIMEOUT = env.float("HALTE_CLAMD_TIMEOUT", default=30.0)
# The Ed25519 key that signs custody packs is read at use from HALTE_CUSTODY_SIGNING_KEY (or
# HALTE_CUSTODY_SIGNING_KEY_FILE), like the vault's keys: see reports/custody.py.
