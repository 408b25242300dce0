"""The login journey through HTTP: password, second factor, lockout, membership choice, reset."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from halte.accounts.models import Role
from halte.audit.models import Action, AuditEvent
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
SETUP = reverse("accounts:otp_setup")
HOME = reverse("www:staff_home")


def current_code(user) -> str:
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    return f"{totp(device.bin_key):06d}"


def password_step(client, user, password=TEST_PASSWORD):
    return client.post(LOGIN, {"username": user.email, "password": password})


@pytest.fixture
def member(db):
    return MembershipFactory(role=Role.COORDINATOR)


def test_password_then_code_opens_the_staff_area(client, member):
    response = password_step(client, member.user)
    assert response.status_code == 302
    assert response.url == VERIFY

    # The password alone opens nothing.
    assert client.get(HOME).url.startswith(VERIFY)

    response = client.post(VERIFY, {"token": current_code(member.user)})
    assert response.status_code == 302
    assert response.url == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert member.organisation.name in page.content.decode()
    assert AuditEvent.objects.filter(action=Action.LOGIN, actor=member.user).count() == 1


def test_email_is_case_insensitive(client, member):
    response = client.post(LOGIN, {"username": member.user.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_wrong_password_is_refused_and_journaled(client, member):
    response = password_step(client, member.user, password="not-the-password")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect" in response.content.decode()
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail["email"] == member.user.email


def test_five_failures_slow_the_account_down_even_for_the_right_password(client, member):
    for _ in range(5):
        password_step(client, member.user, password="wrong-password")
    response = password_step(client, member.user)
    assert response.status_code == 429
    assert "Trop de tentatives ont échoué pour ce compte" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).exists()


def test_another_account_is_not_locked_by_someone_elses_failures(client, member):
    other = MembershipFactory()
    for _ in range(5):
        password_step(client, member.user, password="wrong-password")
    assert password_step(client, other.user).status_code == 302


def test_wrong_code_is_refused_and_journaled(client, member):
    password_step(client, member.user)
    good = current_code(member.user)
    wrong = "000000" if good != "000000" else "111111"
    response = client.post(VERIFY, {"token": wrong})
    assert response.status_code == 200
    assert "n’est pas valable" in response.content.decode()
    assert client.get(HOME).status_code == 302
    assert AuditEvent.objects.filter(action=Action.OTP_FAILED, actor=member.user).exists()


def test_user_without_device_must_enrol_and_gets_recovery_codes(client, db):
    membership = MembershipFactory(user=UserFactory(with_totp=False))
    user = membership.user
    response = password_step(client, user)
    assert response.url == SETUP
    # Skipping enrolment is impossible: staff pages send back to the second factor.
    assert client.get(HOME).status_code == 302
    page = client.get(SETUP)
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert page.context["secret"] in page.content.decode()

    response = client.post(SETUP, {"token": f"{totp(device.bin_key):06d}"})
    assert response.url == reverse("accounts:recovery_codes")
    codes_page = client.get(response.url).content.decode()
    codes = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", codes_page)
    assert len(codes) == 10
    # Shown once only.
    assert not re.findall(r"[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}", client.get(response.url).content.decode())
    assert client.get(HOME).status_code == 200
    assert AuditEvent.objects.filter(action=Action.OTP_ENROLLED, actor=user).exists()

    # A recovery code opens a new session exactly once.
    client.post(reverse("accounts:logout"))
    password_step(client, user)
    assert client.post(VERIFY, {"token": codes[0]}).url == HOME
    assert AuditEvent.objects.filter(action=Action.RECOVERY_CODE_USED, actor=user).exists()
    client.post(reverse("accounts:logout"))
    password_step(client, user)
    assert client.post(VERIFY, {"token": codes[0]}).status_code == 200


def test_enrolment_is_closed_once_a_device_exists(client, member):
    """Otherwise a stolen password could enrol the thief's phone."""
    password_step(client, member.user)
    response = client.get(SETUP)
    assert response.status_code == 302
    assert response.url.startswith(VERIFY)
    assert not TOTPDevice.objects.filter(user=member.user, confirmed=False).exists()


def test_recovery_codes_are_not_stored_in_clear(client, member, login):
    login(client, member)
    client.post(reverse("accounts:recovery_codes"))
    page = client.get(reverse("accounts:recovery_codes")).content.decode()
    codes = re.findall(r"<li>([0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4})</li>", page)
    assert len(codes) == 10
    from django_otp.plugins.otp_static.models import StaticToken

    stored = set(StaticToken.objects.filter(device__user=member.user).values_list("token", flat=True))
    assert len(stored) == 10
    assert not stored & {c.replace("-", "") for c in codes}


def test_several_memberships_ask_which_one(client, member, login):
    second = MembershipFactory(user=member.user, role=Role.EDUCATION_REFERENT)
    password_step(client, member.user)
    client.post(VERIFY, {"token": current_code(member.user)})
    response = client.get(HOME)
    assert response.url.startswith(reverse("accounts:choose_membership"))
    response = client.post(reverse("accounts:choose_membership"), {"membership": str(second.public_id)})
    assert response.url == HOME
    page = client.get(HOME).content.decode()
    assert "Référent ou référente Éducation nationale" in page
    assert AuditEvent.objects.filter(action=Action.MEMBERSHIP_SELECTED, target_id=str(second.public_id)).exists()


def test_a_membership_of_someone_else_cannot_be_picked(client, member):
    stranger = MembershipFactory()
    MembershipFactory(user=member.user, role=Role.EDUCATION_REFERENT)
    password_step(client, member.user)
    client.post(VERIFY, {"token": current_code(member.user)})
    response = client.post(reverse("accounts:choose_membership"), {"membership": str(stranger.public_id)})
    assert response.status_code == 200
    assert client.get(HOME).status_code == 302


def test_user_without_active_membership_is_turned_away(client, member):
    member.is_active = False
    member.save()
    password_step(client, member.user)
    client.post(VERIFY, {"token": current_code(member.user)})
    response = client.get(HOME)
    assert response.url == reverse("accounts:no_membership")
    assert "_auth_user_id" not in client.session


def test_idle_session_expires_after_thirty_minutes(client, member, login, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    login(client, member)
    assert client.get(HOME).status_code == 200
    session = Session.objects.get()
    remaining = session.expire_date - timezone.now()
    assert 29 * 60 < remaining.total_seconds() <= 30 * 60
    # Thirty minutes and one second of silence later, the same cookie opens nothing.
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timezone.timedelta(seconds=1))
    assert client.get(HOME).url.startswith(LOGIN)


def test_logout_requires_post_and_ends_the_session(client, member, login):
    login(client, member)
    assert client.get(reverse("accounts:logout")).status_code == 405
    client.post(reverse("accounts:logout"))
    assert client.get(HOME).url.startswith(LOGIN)
    assert AuditEvent.objects.filter(action=Action.LOGOUT, actor=member.user).exists()


def test_password_reset_by_email_does_not_bypass_the_second_factor(client, member, settings):
    settings.SITE_URL = "https://halte.example.gouv.fr"
    response = client.post(reverse("accounts:password_reset"), {"email": member.user.email})
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    link = re.search(r"https://halte\.example\.gouv\.fr(/connexion/mot-de-passe/\S+/)", body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_password_url = form.redirect_chain[-1][0]
    new_password = "Un-nouveau-mot-de-passe-2026"
    response = client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.url == reverse("accounts:password_reset_complete")
    assert "_auth_user_id" not in client.session
    member.user.refresh_from_db()
    assert member.user.check_password(new_password)
    assert password_step(client, member.user, password=new_password).url == VERIFY
    assert AuditEvent.objects.filter(action=Action.PASSWORD_CHANGED, actor=member.user).exists()


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(client, db):
    response = client.post(reverse("accounts:password_reset"), {"email": "inconnu@halte.test"})
    assert response.url == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_open_redirect_is_refused(client, member):
    password_step(client, member.user)
    response = client.post(VERIFY + "?next=https://evil.example/", {"token": current_code(member.user)})
    assert response.url == HOME


def test_a_failed_login_keeps_no_free_text(client, member):
    client.post(LOGIN, {"username": "mon-mot-de-passe\x00secret", "password": "x"}, REMOTE_ADDR="203.0.113.9")
    # Not an address: no password was checked, nothing to count, and the typed text is not kept.
    assert not AuditEvent.objects.filter(detail__icontains="secret").exists()
    client.post(LOGIN, {"username": member.user.email, "password": "x"}, REMOTE_ADDR="203.0.113.9")
    event = AuditEvent.objects.get(action=Action.LOGIN_FAILED)
    assert event.detail == {"email": member.user.email, "trusted_device": False}


def test_admins_cannot_read_or_add_second_factors(client, people, login):
    login(client, people.admin)
    device = TOTPDevice.objects.get(user=people.coordinator.user)
    assert client.get(f"/administration/otp_totp/totpdevice/{device.pk}/change/").status_code == 404
    assert client.get("/administration/otp_totp/totpdevice/add/").status_code == 404
