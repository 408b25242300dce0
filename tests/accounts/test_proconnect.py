"""ProConnect end to end against a real OpenID Connect provider (django-oauth-toolkit, in its own
process on a free port): real authorisation codes, RS256 ID tokens checked against the provider's
JWKS, PKCE, nonce, userinfo, and RP-initiated logout. Nothing is mocked on Halte's side."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse

from halte.accounts.models import Membership, ProConnectDevice, User
from halte.audit.models import Action, AuditEvent
from tests.accounts.test_login import VERIFY, current_code
from tests.factories import UserFactory

pytestmark = pytest.mark.oidc_provider

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "halte-test-client"
CLIENT_SECRET = "halte-test-secret-0123456789"
CALLBACK = "http://testserver/connexion/proconnect/retour/"
LOGGED_OUT = "http://testserver/connexion/proconnect/deconnecte/"
PASSWORD = "provider-password-2026"

AGENTS = [
    {"username": "coordination", "email": "coordination@halte.test", "groups": ["mfa"]},
    {"username": "cpe", "email": "CPE.A@Halte.Test", "groups": []},  # another spelling of cpe.a@…
    {"username": "inconnu", "email": "agent.inconnu@interieur.gouv.fr", "groups": ["mfa"]},
    {"username": "sansrole", "email": "sans.role@halte.test", "groups": ["mfa"]},
    {"username": "nonverifie", "email": "coordination@halte.test", "groups": ["mfa", "unverified"]},
]


@pytest.fixture(scope="module")
def provider():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    env = {
        **os.environ,
        "OIDC_PROVIDER_KEY": pem,
        "PYTHONWARNINGS": "ignore",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.serve"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": CALLBACK,
        "post_logout_redirect_uri": LOGGED_OUT,
        "agents": [{**agent, "password": PASSWORD} for agent in AGENTS],
    }
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    process.stdin.write(json.dumps(config) + "\n")
    process.stdin.flush()
    line = process.stdout.readline().strip()
    if not line.isdigit():
        process.kill()
        raise RuntimeError(f"the test provider did not start: {process.stderr.read()}")
    yield f"http://127.0.0.1:{line}/o"
    process.terminate()
    process.wait(timeout=10)
    for stream in (process.stdin, process.stdout, process.stderr):
        stream.close()


@pytest.fixture
def proconnect(provider, settings, people):
    settings.SITE_URL = "http://testserver"
    settings.HALTE_PROCONNECT = {
        "ENABLED": True,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "AUTHORIZATION_ENDPOINT": f"{provider}/authorize/",
        "TOKEN_ENDPOINT": f"{provider}/token/",
        "USERINFO_ENDPOINT": f"{provider}/userinfo/",
        "JWKS_ENDPOINT": f"{provider}/.well-known/jwks.json",
        "END_SESSION_ENDPOINT": f"{provider}/logout/",
        "SIGN_ALGO": "RS256",
        "SCOPES": "openid email given_name usual_name uid",
        "MFA_ACR_VALUES": ["eidas2", "eidas3"],
        "REQUIRE_EMAIL_VERIFIED": True,
        "TIMEOUT": 10,
    }
    return provider


def at_provider(agent_browser: requests.Session, authorize_url: str, username: str) -> str:
    """The agent logs in on the provider's own page; returns where the provider sends them back."""
    response = agent_browser.get(authorize_url, allow_redirects=False)
    if response.status_code == 302 and response.headers["Location"].startswith(CALLBACK):
        return response.headers["Location"]  # already logged in at the provider
    assert response.status_code == 302, response.text[:500]
    login_url = urljoin(authorize_url, response.headers["Location"])
    assert urlsplit(login_url).path == "/login/"
    agent_browser.get(login_url)
    response = agent_browser.post(
        login_url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": agent_browser.cookies["csrftoken"],
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
        },
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:500]
    response = agent_browser.get(urljoin(login_url, response.headers["Location"]), allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CALLBACK), response.headers["Location"]
    return response.headers["Location"]


def proconnect_login(client, username: str, agent_browser: requests.Session | None = None):
    start = client.get(reverse("accounts:proconnect_start"))
    assert start.status_code == 302
    authorize_url = start.url
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    callback = at_provider(agent_browser or requests.Session(), authorize_url, username)
    return client.get(callback.removeprefix("http://testserver")), callback


def test_an_agent_for_whom_proconnect_asserts_a_second_factor_logs_in(client, proconnect, people):
    response, _ = proconnect_login(client, "coordination")
    assert response.status_code == 302
    assert response.url == reverse("www:staff_home")
    assert client.get(reverse("www:staff_home")).status_code == 200
    assert ProConnectDevice.objects.filter(user=people.coordinator.user).exists()
    event = AuditEvent.objects.get(action=Action.PROCONNECT_LOGIN)
    assert event.actor == people.coordinator.user
    assert event.detail["mfa"] is True and event.detail["acr"] == "eidas2"
    assert AuditEvent.objects.get(action=Action.LOGIN).detail["session_renewed"] is True


def test_without_an_asserted_second_factor_halte_still_asks_for_its_own(client, proconnect, people):
    response, _ = proconnect_login(client, "cpe")
    assert response.status_code == 302
    assert response.url == VERIFY
    # Matched by the normal form of the address the provider gave (CPE.A@Halte.Test).
    assert client.session["_auth_user_id"] == str(people.school_a_staff.user.pk)
    assert client.get(reverse("www:staff_home")).url.startswith(VERIFY)
    response = client.post(VERIFY, {"token": current_code(people.school_a_staff.user)})
    assert response.url == reverse("www:staff_home")
    assert client.get(reverse("www:staff_home")).status_code == 200
    assert AuditEvent.objects.get(action=Action.PROCONNECT_LOGIN).detail["mfa"] is False


def test_an_agent_without_an_account_gets_a_french_refusal_and_nothing_is_created(client, proconnect, people):
    users_before = User.objects.count()
    response, _ = proconnect_login(client, "inconnu")
    assert response.status_code == 403
    page = response.content.decode()
    assert "ProConnect a bien reconnu votre identité" in page
    assert "Halte ne crée jamais de compte" in page
    assert User.objects.count() == users_before
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action=Action.PROCONNECT_REFUSED)
    assert event.detail == {"reason": "no_account", "email": "agent.inconnu@interieur.gouv.fr"}


def test_an_account_without_a_membership_is_refused_and_given_no_role(client, proconnect, people):
    UserFactory(email="sans.role@halte.test")
    response, _ = proconnect_login(client, "sansrole")
    assert response.status_code == 403
    assert "vous n’avez pas encore d’accès à Halte" in response.content.decode()
    assert not Membership.objects.filter(user__email="sans.role@halte.test").exists()
    assert "_auth_user_id" not in client.session


def test_an_address_the_provider_did_not_verify_is_refused(client, proconnect, people):
    response, _ = proconnect_login(client, "nonverifie")
    assert response.status_code == 403
    assert "n’a pas confirmé" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_callback_cannot_be_replayed_nor_used_by_another_browser(client, proconnect, people, django_user_model):
    response, callback = proconnect_login(client, "coordination")
    assert response.status_code == 302
    client.post(reverse("accounts:logout"))
    assert client.get(callback.removeprefix("http://testserver")).status_code == 403
    from django.test import Client

    assert Client().get(callback.removeprefix("http://testserver")).status_code == 403
    reasons = set(AuditEvent.objects.filter(action=Action.PROCONNECT_REFUSED).values_list("detail__reason", flat=True))
    assert reasons == {"bad_state"}


def test_logout_ends_the_session_at_the_provider_too(client, proconnect, people):
    agent_browser = requests.Session()
    proconnect_login(client, "coordination", agent_browser)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    end_session = urlsplit(response.url)
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{proconnect}/logout/"
    assert parse_qs(end_session.query)["id_token_hint"]
    assert client.get(reverse("www:staff_home")).status_code == 302
    back = agent_browser.get(response.url, allow_redirects=False)
    assert back.status_code == 302
    assert back.headers["Location"].startswith(LOGGED_OUT)
    # The provider's session is over: a new login asks for the password again.
    again = client.get(reverse("accounts:proconnect_start")).url
    assert (
        urlsplit(urljoin(again, agent_browser.get(again, allow_redirects=False).headers["Location"])).path == "/login/"
    )


def test_proconnect_is_off_unless_configured(client, db, settings):
    settings.HALTE_PROCONNECT = {**settings.HALTE_PROCONNECT, "ENABLED": False}
    assert client.get(reverse("accounts:proconnect_start")).status_code == 404
    assert client.get(reverse("accounts:proconnect_callback") + "?code=x&state=y").status_code == 404
    assert "ProConnect" not in client.get(reverse("accounts:login")).content.decode()
