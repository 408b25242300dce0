"""ProConnect: public agents log in with the State's OpenID Connect, on top of mozilla-django-oidc.

- **Off unless configured** (``HALTE_PROCONNECT``, from the environment): the pages answer 404.
- **Matched, never created**: the verified address of the agent (normal form,
  :mod:`halte.accounts.addresses`) must be that of an active account created beforehand with an
  active membership; nothing is created on the fly, least of all a role. Anyone else gets a
  French refusal page, and the attempt is journaled.
- **The second factor still applies** unless the signed ID token says ProConnect required one
  (``acr`` in ``MFA_ACR_VALUES`` or ``"mfa"`` in ``amr``): then a :class:`ProConnectDevice`
  verifies the session; otherwise the agent goes on to Halte's own TOTP step, as after a password.
- **Logout at the provider**: the ID token is kept in the session and Halte's logout sends the
  browser to the provider's end-session endpoint with it.

State, nonce and PKCE verifier are kept in the session by mozilla-django-oidc's request view and
checked here, each used once.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.utils.crypto import get_random_string
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationRequestView
from requests import RequestException

from .addresses import normalise_email
from .models import Membership, ProConnectDevice, User

ID_TOKEN_SESSION_KEY = "halte_proconnect_id_token"  # noqa: S105 - a session key name
DEVICE_NAME = "ProConnect"


def config() -> dict:
    return settings.HALTE_PROCONNECT


def enabled() -> bool:
    return bool(config().get("ENABLED"))


def _oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, read from HALTE_PROCONNECT rather than global OIDC_* names."""
    conf = config()
    values = {
        "OIDC_OP_AUTHORIZATION_ENDPOINT": conf["AUTHORIZATION_ENDPOINT"],
        "OIDC_OP_TOKEN_ENDPOINT": conf["TOKEN_ENDPOINT"],
        "OIDC_OP_USER_ENDPOINT": conf["USERINFO_ENDPOINT"],
        "OIDC_OP_JWKS_ENDPOINT": conf["JWKS_ENDPOINT"],
        "OIDC_RP_CLIENT_ID": conf["CLIENT_ID"],
        "OIDC_RP_CLIENT_SECRET": conf["CLIENT_SECRET"],
        "OIDC_RP_SIGN_ALGO": conf["SIGN_ALGO"],
        "OIDC_RP_SCOPES": conf["SCOPES"],
        "OIDC_TIMEOUT": conf["TIMEOUT"],
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": False,
        "OIDC_STORE_ID_TOKEN": False,  # kept by Halte itself, under its own key
        "OIDC_AUTHENTICATION_CALLBACK_URL": "accounts:proconnect_callback",
        "OIDC_REDIRECT_FIELD_NAME": "next",
        "OIDC_AUTH_REQUEST_EXTRA_PARAMS": {
            # Ask for the authentication method in the signed ID token, where Halte reads it.
            "claims": '{"id_token": {"amr": {"essential": true}, "acr": {"essential": true}}}',
        },
    }
    if attr in values:
        return values[attr]
    if default:
        return default[0]
    raise ImproperlyConfigured(f"ProConnect : réglage {attr} manquant.")


class AuthorisationRequestView(OIDCAuthenticationRequestView):
    """Sends the browser to ProConnect with a fresh state, nonce and PKCE challenge."""

    get_settings = staticmethod(_oidc_setting)


class Refused(Exception):
    """ProConnect answered, but Halte does not let this person in. ``reason`` is journaled."""

    def __init__(self, reason: str, email: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.email = email


class Backend(OIDCAuthenticationBackend):
    """Exchanges the code, checks the ID token (signature, nonce) and matches a prepared account."""

    get_settings = staticmethod(_oidc_setting)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.id_token = ""
        self.id_claims: dict = {}

    def store_tokens(self, access_token, id_token):
        self.id_token = id_token

    def get_or_create_user(self, access_token, id_token, payload):
        self.id_claims = payload
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if config()["CLIENT_ID"] not in audiences:
            raise Refused("invalid_response")  # an ID token issued to another client
        claims = self.get_userinfo(access_token, id_token, payload)
        email = normalise_email(claims.get("email") or payload.get("email") or "")
        if not email:
            raise Refused("no_email")
        verified = claims.get("email_verified", payload.get("email_verified"))
        if verified is False or (config()["REQUIRE_EMAIL_VERIFIED"] and verified is not True):
            raise Refused("email_not_verified", email)
        user = User.objects.filter(email=email, is_active=True).first()
        if user is None:
            raise Refused("no_account", email)
        if not Membership.objects.active().filter(user=user).exists():
            raise Refused("no_membership", email)
        return user


def authenticate(request) -> tuple[User, Backend]:
    """The callback's work: check state, then the code flow. Raises Refused with a reason."""
    state = request.GET.get("state") or ""
    states = request.session.get("oidc_states") or {}
    if request.GET.get("error"):
        states.pop(state, None)
        request.session["oidc_states"] = states
        raise Refused("provider_error")
    if not request.GET.get("code") or state not in states:
        raise Refused("bad_state")
    flow = states.pop(state)  # a state is used once
    request.session["oidc_states"] = states
    backend = Backend()
    try:
        user = backend.authenticate(request, nonce=flow.get("nonce"), code_verifier=flow.get("code_verifier"))
    except Refused:
        raise
    except (SuspiciousOperation, RequestException, ValueError, KeyError) as error:
        raise Refused("invalid_response") from error
    if user is None:
        raise Refused("invalid_response")
    return user, backend


def asserted_second_factor(id_claims: dict) -> bool:
    """Did ProConnect require a second factor for this login, according to the signed ID token?"""
    if id_claims.get("acr") in config()["MFA_ACR_VALUES"]:
        return True
    amr = id_claims.get("amr") or []
    return isinstance(amr, list) and "mfa" in amr


def device_for(user: User) -> ProConnectDevice:
    device, _ = ProConnectDevice.objects.get_or_create(user=user, name=DEVICE_NAME, defaults={"confirmed": True})
    return device


def end_session_url(id_token: str, post_logout_redirect_uri: str) -> str:
    query = urlencode(
        {
            "id_token_hint": id_token,
            "state": get_random_string(32),
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
    )
    return f"{config()['END_SESSION_ENDPOINT']}?{query}"
