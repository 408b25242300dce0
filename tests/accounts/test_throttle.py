"""Attacks on the password step: address variants, strangers locking a coordinator out, spraying,
stolen device cookies, session fixation across the second factor. No address is ever stored."""

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from halte.accounts import throttle
from halte.accounts.models import LoginThrottle, Role, User
from halte.audit.models import Action, AuditEvent
from tests.accounts.test_login import HOME, LOGIN, VERIFY, current_code
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

COORDINATOR_ADDRESS = "198.51.100.7"
STRANGER_ADDRESS = "203.0.113.66"


@pytest.fixture
def coordinator(db):
    return MembershipFactory(role=Role.COORDINATOR, user__email="coordination@halte.test")


def attempt(client, email, password, address=STRANGER_ADDRESS):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def full_login(client, user, address=COORDINATOR_ADDRESS):
    assert attempt(client, user.email, TEST_PASSWORD, address).url == VERIFY
    response = client.post(VERIFY, {"token": current_code(user)}, REMOTE_ADDR=address)
    assert response.url == HOME
    return response


VARIANTS = [
    "COORDINATION@HALTE.TEST",
    "  Coordination@Halte.Test ",
    "ｃｏｏｒｄｉｎａｔｉｏｎ＠ｈａｌｔｅ．ｔｅｓｔ",  # full-width forms: NFKC folds them
    "coordination@halte.test\t",
    "CoOrDiNaTiOn@halte.test",
]


def test_every_spelling_of_the_address_opens_the_same_account(client, coordinator):
    for variant in VARIANTS:
        fresh = Client()
        response = attempt(fresh, variant, TEST_PASSWORD)
        assert response.status_code == 302, variant
        assert response.url == VERIFY


def test_uppercase_failures_count_against_the_lowercase_account(client, coordinator):
    for variant in VARIANTS:
        assert attempt(client, variant, "wrong-password").status_code == 200
    # Five failures under five spellings are five failures of one account: the right password,
    # typed the canonical way, is now refused without being checked.
    response = attempt(Client(), "coordination@halte.test", TEST_PASSWORD, address="192.0.2.1")
    assert response.status_code == 429
    assert "_auth_user_id" not in Client().session
    failed = AuditEvent.objects.filter(action=Action.LOGIN_FAILED)
    assert {event.detail["email"] for event in failed} == {"coordination@halte.test"}
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT, detail__email="coordination@halte.test").exists()


def test_a_stranger_cannot_lock_the_coordinator_out(coordinator):
    browser = Client()
    full_login(browser, coordinator.user)
    browser.post(reverse("accounts:logout"))

    stranger = Client()
    outcomes = [attempt(stranger, "COORDINATION@halte.test", f"guess-{n}").status_code for n in range(40)]
    # The stranger guesses five times, then is refused before any password is checked.
    assert outcomes[:5] == [200] * 5
    assert set(outcomes[5:]) == {429}
    # Even the right password does not get through from the stranger's side now…
    assert attempt(stranger, "coordination@halte.test", TEST_PASSWORD).status_code == 429
    assert attempt(Client(), "coordination@halte.test", TEST_PASSWORD, address="192.0.2.55").status_code == 429
    # …but the coordinator, from the browser they logged in with, is never refused.
    response = attempt(browser, "coordination@halte.test", TEST_PASSWORD, address=COORDINATOR_ADDRESS)
    assert response.status_code == 302
    assert response.url == VERIFY
    # Even from the stranger's address (the same office proxy, say).
    browser.post(reverse("accounts:logout"))
    assert attempt(browser, "coordination@halte.test", TEST_PASSWORD, address=STRANGER_ADDRESS).status_code == 302


def test_the_coordinators_own_typos_do_not_lock_their_browser_out_of_the_right_password(coordinator):
    browser = Client()
    full_login(browser, coordinator.user)
    browser.post(reverse("accounts:logout"))
    for _ in range(6):
        assert attempt(browser, coordinator.user.email, "typo", COORDINATOR_ADDRESS).status_code == 200
    assert attempt(browser, coordinator.user.email, TEST_PASSWORD, COORDINATOR_ADDRESS).status_code == 302


def test_a_trusted_browser_that_keeps_failing_is_trusted_no_more(coordinator, settings):
    settings.HALTE_LOGIN_THROTTLE = {"DEVICE_LIMIT": 3}
    browser = Client()
    full_login(browser, coordinator.user)
    browser.post(reverse("accounts:logout"))
    for _ in range(3):
        attempt(browser, coordinator.user.email, "guess", COORDINATOR_ADDRESS)
    # Now an ordinary client: the account's counter applies (five failures).
    for _ in range(5):
        assert attempt(browser, coordinator.user.email, "guess", COORDINATOR_ADDRESS).status_code == 200
    assert attempt(browser, coordinator.user.email, TEST_PASSWORD, COORDINATOR_ADDRESS).status_code == 429


def test_a_device_cookie_of_one_account_does_not_shield_another(coordinator):
    thief = MembershipFactory(role=Role.SCHOOL_STAFF)
    browser = Client()
    full_login(browser, thief.user)  # the thief's own cookie, genuinely issued
    browser.post(reverse("accounts:logout"))
    outcomes = [attempt(browser, coordinator.user.email, f"guess-{n}").status_code for n in range(7)]
    assert outcomes[5:] == [429, 429]


def test_a_forged_device_cookie_is_ignored(coordinator):
    browser = Client()
    browser.cookies[settings.HALTE_DEVICE_COOKIE_NAME] = f'{{"user": "{coordinator.user.public_id}", "nonce": "x"}}'
    outcomes = [attempt(browser, coordinator.user.email, f"guess-{n}").status_code for n in range(6)]
    assert outcomes[5] == 429


def test_password_spraying_from_one_client_is_stopped(db, settings):
    settings.HALTE_LOGIN_THROTTLE = {"CLIENT_LIMIT": 8}
    users = [UserFactory() for _ in range(10)]
    sprayer = Client()
    outcomes = [attempt(sprayer, user.email, "Printemps2026!").status_code for user in users]
    assert outcomes == [200] * 8 + [429, 429]
    assert AuditEvent.objects.filter(action=Action.LOGIN_CLIENT_THROTTLED).count() == 2
    # Another client, or the same accounts from elsewhere, are not affected.
    assert attempt(Client(), users[9].email, TEST_PASSWORD, address="192.0.2.200").status_code == 302


def test_the_throttle_stores_no_address_and_no_email(coordinator):
    for _ in range(3):
        attempt(Client(), coordinator.user.email, "guess", address=STRANGER_ADDRESS)
    rows = list(LoginThrottle.objects.values_list("key", flat=True))
    assert len(rows) == 2  # the client and the account
    for key in rows:
        assert STRANGER_ADDRESS not in key
        assert "coordination" not in key
    assert not AuditEvent.objects.filter(detail__icontains=STRANGER_ADDRESS).exists()
    assert throttle.client_key(type("R", (), {"META": {"REMOTE_ADDR": STRANGER_ADDRESS}})()) in rows


def test_the_client_behind_a_proxy_is_the_forwarded_one(db, settings):
    settings.HALTE_PROXY_COUNT = 1
    request = type("R", (), {"META": {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "1.2.3.4, 203.0.113.9"}})()
    assert throttle.client_address(request) == "203.0.113.9"
    settings.HALTE_PROXY_COUNT = 0
    assert throttle.client_address(request) == "10.0.0.1"


def test_the_account_delay_doubles_and_is_capped():
    delays = [throttle.account_delay(n) for n in range(1, 14)]
    assert delays[:4] == [0] * 4
    assert delays[4:8] == [60, 120, 240, 480]
    assert max(delays) == 15 * 60


def test_the_session_key_is_renewed_after_the_second_factor(client, coordinator):
    attempt(client, coordinator.user.email, TEST_PASSWORD)
    before = client.session.session_key
    assert before
    client.post(VERIFY, {"token": current_code(coordinator.user)})
    after = client.session.session_key
    assert after != before
    event = AuditEvent.objects.get(action=Action.LOGIN, actor=coordinator.user)
    assert event.detail["session_renewed"] is True
    # A key fixed or seen before the second factor opens nothing afterwards.
    fixed = Client()
    fixed.cookies[settings.SESSION_COOKIE_NAME] = before
    assert fixed.get(HOME).url.startswith(LOGIN)
    assert client.get(HOME).status_code == 200


def test_addresses_are_unique_whatever_their_spelling(coordinator):
    for variant in ["COORDINATION@halte.test", " coordination@halte.test", "ｃｏｏｒｄｉｎａｔｉｏｎ@halte.test"]:
        with pytest.raises(IntegrityError), transaction.atomic():
            User.objects.create_user(variant, "x" * 16, first_name="A", last_name="B")
    assert User.objects.get_by_natural_key(" Coordination@HALTE.test") == coordinator.user


def test_the_database_refuses_an_address_that_is_not_normalised(coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=coordinator.user.pk).update(email="Coordination@halte.test")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=coordinator.user.pk).update(email=" coordination@halte.test")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Unicode normalisation is PostgreSQL's")
def test_the_database_refuses_an_address_in_another_unicode_form(coordinator):
    with pytest.raises(IntegrityError), transaction.atomic():
        # A full-width "ｃ": NFKC folds it to "c", so this is not the normal form.
        User.objects.filter(pk=coordinator.user.pk).update(email="\uff43oordination@halte.test")


@pytest.mark.django_db
def test_the_periodic_pass_forgets_counters_whose_windows_are_over():
    from datetime import timedelta

    from django.utils import timezone

    from halte.core import periodic

    now = timezone.now()
    LoginThrottle.objects.create(key="a" * 64, failures=3, last_failure_at=now - timedelta(hours=2))
    LoginThrottle.objects.create(key="b" * 64, failures=3, last_failure_at=now - timedelta(minutes=10))
    result = periodic.run(now)
    assert result.login_counters_purged == 1
    assert list(LoginThrottle.objects.values_list("key", flat=True)) == ["b" * 64]
