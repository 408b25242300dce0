"""The mailbox against someone guessing receipt codes: a wrong code costs no slow hash, the limits hold
without cookies and across clients, and the owner's right code always opens."""

import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from halte.core import periodic
from halte.reports import enums, receipts, throttle
from halte.reports.actions import PupilData, ReportData, submit_report
from halte.reports.models import ReceiptThrottle, Report

from .hashers import CountingHasher

URL = "/suivi/"
WRONG = "Ce code ne correspond à aucun signalement"
TOO_MANY = "Trop d’essais"


@pytest.fixture(autouse=True)
def _counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.reports.hashers.CountingHasher"]
    settings.HALTE_RECEIPT_THROTTLE = {"CLIENT_LIMIT": 10, "SERVICE_LIMIT": 300}
    CountingHasher.reset()


def a_report_with_its_code() -> tuple[Report, str]:
    data = ReportData(
        channel=enums.Channel.PUBLIC_FORM,
        reporter_kind=enums.ReporterKind.VICTIM,
        description="Ils m'insultent dans le bus tous les matins et ils ont mis une photo de moi sur Snap.",
        school_text="Collège du bourg",
        pupils=[PupilData(first_name="Jade", role=enums.PupilRole.VICTIM)],
    )
    submission = submit_report(data=data, actor=None, with_receipt=True)
    assert submission.receipt_code is not None
    return submission.report, submission.receipt_code


def wrong_code(code: str, n: int) -> str:
    """A well-formed code that is not `code` (and differs for each n)."""
    candidate = f"{(int(code) + 1 + n) % 10**20:020d}"
    assert candidate != code
    return candidate


def try_code(code: str, *, client: Client | None = None, address: str = "203.0.113.7", **headers):
    return (client or Client(REMOTE_ADDR=address)).post(URL, {"code": code}, **headers)


@pytest.fixture
def owned(db):
    report, code = a_report_with_its_code()
    CountingHasher.reset()
    return report, code


# --- No slow hash for a wrong code -----------------------------------------------------------------


def test_a_wrong_code_runs_no_slow_hash_and_a_right_one_runs_one(owned, django_assert_max_num_queries):
    _report, code = owned

    try_code(wrong_code(code, 1))  # the first wrong code creates the counters
    # The lookup, two counters read, two counters incremented and read back: no slow hash.
    with django_assert_max_num_queries(7):
        response = try_code(wrong_code(code, 0))

    assert response.status_code == 200
    assert WRONG in response.content.decode()
    assert CountingHasher.runs() == 0

    response = try_code(receipts.display(code))
    assert response.status_code == 302
    assert CountingHasher.verifications == 1


def test_a_code_whose_digest_is_known_but_whose_hash_differs_does_not_open(owned):
    """The slow hash still decides when the lookup finds a row (a tampered lookup column opens nothing)."""
    report, code = owned
    Report.objects.filter(pk=report.pk).update(receipt_hash=receipts.slow_hash("1" * 20))
    CountingHasher.reset()

    assert try_code(code).status_code == 200
    assert CountingHasher.verifications == 1


# --- The limits ------------------------------------------------------------------------------------


def test_a_cookieless_attacker_loop_is_stopped_without_any_hash(owned):
    _report, code = owned
    answers = []
    for n in range(25):
        # A fresh client each time: no session, no cookie carried from one try to the next.
        response = try_code(wrong_code(code, n))
        answers.append(response.status_code)
        if response.status_code == 429:
            assert TOO_MANY in response.content.decode()
            assert int(response["Retry-After"]) > 0
        else:
            assert WRONG in response.content.decode()

    assert answers == [200] * 10 + [429] * 15
    assert CountingHasher.runs() == 0
    # Refused tries write nothing: the client's counter stopped at the limit.
    assert ReceiptThrottle.objects.get(key=throttle.client_key_for("203.0.113.7")).failures == 10


def test_the_owner_gets_in_during_an_attack_from_the_same_address(owned, settings):
    """A school or a phone network puts many people behind one address: the attacker's guesses there
    must not keep the child out."""
    _report, code = owned
    settings.HALTE_RECEIPT_THROTTLE = {"CLIENT_LIMIT": 5, "SERVICE_LIMIT": 8}
    for n in range(12):
        try_code(wrong_code(code, n))
    assert try_code(wrong_code(code, 99)).status_code == 429

    response = try_code(code)

    assert response.status_code == 302
    assert response.url == reverse("reports:mailbox")


def test_a_browser_that_mistyped_is_not_locked_out_of_its_own_code(owned):
    _report, code = owned
    child = Client(REMOTE_ADDR="198.51.100.20")
    for n in range(12):
        try_code(wrong_code(code, n), client=child)
    assert try_code(wrong_code(code, 50), client=child).status_code == 429

    response = try_code(code, client=child)

    assert response.status_code == 302
    assert child.get(reverse("reports:mailbox")).status_code == 200


def test_beyond_the_limit_every_wrong_code_gets_the_same_answer(owned):
    """Well-formed or not, near the real code or not: one message, one status, no hash."""
    _report, code = owned
    for n in range(10):
        try_code(wrong_code(code, n))
    near = code[:-1] + str((int(code[-1]) + 1) % 10)
    bodies = set()
    for typed in (near, wrong_code(code, 77), "1234", "pas un code"):
        response = try_code(typed)
        assert response.status_code == 429
        page = response.content.decode()
        bodies.add(page[page.index("<main") :].replace(typed, "").split("csrfmiddlewaretoken")[0])
    assert len(bodies) == 1
    assert CountingHasher.runs() == 0


def test_the_limit_holds_across_sessions_and_clients(owned):
    _report, code = owned
    browsers = [Client(REMOTE_ADDR="192.0.2.44") for _ in range(10)]
    for n, browser in enumerate(browsers):
        assert try_code(wrong_code(code, n), client=browser).status_code == 200
        browser.cookies.clear()

    # A new browser, a new session, the same network address: still counted.
    assert try_code(wrong_code(code, 20), address="192.0.2.44").status_code == 429
    # Another address is another client.
    assert try_code(wrong_code(code, 21), address="192.0.2.45").status_code == 200


def test_an_ipv6_client_counts_for_its_whole_slash_64(owned):
    _report, code = owned
    for n in range(10):
        try_code(wrong_code(code, n), address=f"2001:db8:1:2::{n + 1:x}")

    assert try_code(wrong_code(code, 30), address="2001:db8:1:2:ffff::9").status_code == 429
    assert try_code(wrong_code(code, 31), address="2001:db8:1:3::1").status_code == 200


def test_behind_a_proxy_the_forwarded_client_is_counted(owned, settings):
    _report, code = owned
    settings.HALTE_PROXY_COUNT = 1
    for n in range(10):
        try_code(wrong_code(code, n), address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50")

    assert try_code(wrong_code(code, 40), address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.50").status_code == 429
    # The proxy's own address is not what is counted: another client behind it is free.
    assert try_code(wrong_code(code, 41), address="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.51").status_code == 200


def test_guesses_spread_over_many_addresses_meet_the_service_limit(owned, settings):
    _report, code = owned
    settings.HALTE_RECEIPT_THROTTLE = {"CLIENT_LIMIT": 10, "SERVICE_LIMIT": 30}
    for n in range(30):
        assert try_code(wrong_code(code, n), address=f"198.18.{n}.1").status_code == 200

    assert try_code(wrong_code(code, 60), address="198.18.200.1").status_code == 429
    # ...and the owner still gets in, from an address never seen.
    assert try_code(code, address="198.18.201.1").status_code == 302
    assert CountingHasher.verifications == 1


def test_opening_a_mailbox_does_not_clear_the_count(owned):
    """Else an attacker holding one real code would reset their counter between guesses."""
    _report, code = owned
    for n in range(9):
        try_code(wrong_code(code, n))
    assert try_code(code).status_code == 302
    assert try_code(wrong_code(code, 9)).status_code == 200

    assert try_code(wrong_code(code, 10)).status_code == 429


def test_what_cannot_be_a_code_is_not_counted(owned):
    assert owned
    for typed in ["1234", "mon code", "0" * 19, "٣" * 20] * 5:
        response = try_code(typed)
        assert response.status_code == 200
        assert WRONG in response.content.decode()

    assert not ReceiptThrottle.objects.exists()


def test_the_window_passes_and_the_periodic_pass_forgets_old_counters(owned):
    _report, code = owned
    for n in range(10):
        try_code(wrong_code(code, n))
    assert try_code(wrong_code(code, 11)).status_code == 429

    ReceiptThrottle.objects.update(window_started_at=timezone.now() - timedelta(minutes=16))
    assert try_code(wrong_code(code, 12)).status_code == 200
    assert ReceiptThrottle.objects.get(key=throttle.client_key_for("203.0.113.7")).failures == 1

    assert periodic.run(timezone.now() + timedelta(minutes=16)).receipt_counters_purged == 2
    assert not ReceiptThrottle.objects.exists()


def test_no_address_is_stored(owned):
    _report, code = owned
    for n in range(3):
        try_code(wrong_code(code, n), address="203.0.113.99")

    stored = " ".join(f"{row.key} {row}" for row in ReceiptThrottle.objects.all())
    assert "203.0.113" not in stored
    assert {row.key for row in ReceiptThrottle.objects.all()} == {throttle.client_key_for("203.0.113.99"), "service"}


# --- Codes made before a secret rotation -------------------------------------------------------------


def test_a_code_made_with_a_former_secret_opens_and_is_rekeyed(db, settings):
    settings.SECRET_KEY = "a-former-secret-" + "x" * 40
    report, code = a_report_with_its_code()
    former_digest = Report.objects.get(pk=report.pk).receipt_lookup
    settings.SECRET_KEY = "the-current-secret-" + "y" * 40
    settings.SECRET_KEY_FALLBACKS = ["a-former-secret-" + "x" * 40]
    CountingHasher.reset()

    assert try_code(wrong_code(code, 0)).status_code == 200
    assert CountingHasher.runs() == 0  # a wrong code: one lookup per secret, still no hash
    assert try_code(code).status_code == 302

    rekeyed = Report.objects.get(pk=report.pk).receipt_lookup
    assert rekeyed != former_digest
    assert rekeyed == receipts.lookup_digest(code)[1]
    settings.SECRET_KEY_FALLBACKS = []
    assert try_code(code).status_code == 302


def test_without_the_former_secret_an_old_code_no_longer_opens(db, settings):
    settings.SECRET_KEY = "a-former-secret-" + "x" * 40
    _report, code = a_report_with_its_code()
    settings.SECRET_KEY = "the-current-secret-" + "y" * 40

    assert try_code(code).status_code == 200


# --- Parallel guesses all count (PostgreSQL: real concurrent transactions) ------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_all_count():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL)")
    errors = []

    def guess(n: int) -> None:
        try:
            response = Client(REMOTE_ADDR="203.0.113.200").post(URL, {"code": f"{n:020d}"})
            assert response.status_code in (200, 429)
        except Exception as exc:  # collected for the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert ReceiptThrottle.objects.get(key="service").failures == 8
    assert ReceiptThrottle.objects.get(key=throttle.client_key_for("203.0.113.200")).failures == 8


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_tried_by_another_process_count_here(tmp_path):
    """Two server processes share the counters: another process's guesses block this one's."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a database another process can reach (PostgreSQL)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "for n in range(10):\n"
        "    r = Client(REMOTE_ADDR='203.0.113.77').post('/suivi/', {'code': f'{n:020d}'})\n"
        "    assert r.status_code == 200, r.status_code\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "halte.settings",
        "HALTE_ENV": "development",
        "HALTE_VAR_DIR": str(tmp_path),
    }
    done = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]

    assert try_code("9" * 20, address="203.0.113.77").status_code == 429
    assert try_code("9" * 20, address="203.0.113.78").status_code == 200
