"""A real OpenID Connect provider for the ProConnect tests, built with django-oauth-toolkit.

It plays ProConnect's part: agents log in on its own page, it signs ID tokens with RS256 (keys
published at its JWKS endpoint), serves userinfo, and ends its session on RP-initiated logout. It
runs in its own process (``serve.py``) with its own database in memory; nothing here is part of Halte.
"""

import os

SECRET_KEY = "test-provider-only-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
# In memory: the server answers from the one thread that migrated it, and nothing outlives the test.
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_URL = "/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ["OIDC_PROVIDER_KEY"],
    "OIDC_ISS_ENDPOINT": os.environ["OIDC_PROVIDER_ISSUER"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "PKCE_REQUIRED": True,
    "SCOPES": {
        "openid": "OpenID Connect",
        "email": "Adresse électronique",
        "given_name": "Prénom",
        "usual_name": "Nom",
        "uid": "Identifiant",
    },
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.validator.ProConnectLikeValidator",
}
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "CRITICAL"}}
