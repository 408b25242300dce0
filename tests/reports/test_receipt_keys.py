"""Receipt codes under keys of their own (HALTE_RECEIPT_KEYS): a SECRET_KEY rotation breaks none, a
receipt key rotation re-keys codes as they are typed, and codes issued before keep working.

Attacks: SECRET_KEY changed without any fallback, an old receipt key withdrawn too early, a wrong
code against several keys (still no slow hash), a digest presented under a key its row does not
name, malformed keys, production without receipt keys."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.crypto import salted_hmac

from halte.reports import checks, receipts
from halte.reports.models import Report

from .hashers import CountingHasher
from .test_mailbox_throttle import a_report_with_its_code, try_code, wrong_code

OLD = "r2025:" + "o" * 40
NEW = "r2026:" + "n" * 40


@pytest.fixture(autouse=True)
def _counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.reports.hashers.CountingHasher"]
    settings.HALTE_RECEIPT_THROTTLE = {"CLIENT_LIMIT": 50, "SERVICE_LIMIT": 300}
    settings.SECRET_KEY_FALLBACKS = []
    CountingHasher.reset()


def stored(report) -> tuple[str, str | None]:
    row = Report.objects.get(pk=report.pk)
    return row.receipt_key_id, row.receipt_lookup


def opens(code) -> bool:
    return try_code(code).status_code == 302


def test_a_secret_key_rotation_without_any_fallback_breaks_no_code(db, settings):
    settings.HALTE_RECEIPT_KEYS = NEW
    report, code = a_report_with_its_code()
    assert stored(report)[0] == "r2026"
    settings.SECRET_KEY = "an-entirely-new-secret-key-" + "z" * 40
    settings.SECRET_KEY_FALLBACKS = []
    assert opens(code)


def test_a_receipt_key_rotation_rekeys_codes_as_they_are_typed(db, settings):
    settings.HALTE_RECEIPT_KEYS = OLD
    report, code = a_report_with_its_code()
    untyped, untyped_code = a_report_with_its_code()
    before = stored(report)
    settings.HALTE_RECEIPT_KEYS = f"{NEW},{OLD}"
    CountingHasher.reset()
    assert try_code(wrong_code(code, 0)).status_code == 200
    assert CountingHasher.runs() == 0  # two keys, still one indexed lookup and no slow hash
    assert opens(code)
    key_id, lookup = stored(report)
    assert key_id == "r2026" and lookup != before[1]
    assert stored(untyped)[0] == "r2025"
    settings.HALTE_RECEIPT_KEYS = NEW  # the old key withdrawn
    assert opens(code)
    assert not opens(untyped_code)  # withdrawn too early: that code was never re-keyed


def test_a_digest_is_only_accepted_under_the_key_its_row_names(db, settings):
    settings.HALTE_RECEIPT_KEYS = f"{NEW},{OLD}"
    report, code = a_report_with_its_code()
    # The row claims the old key while its digest is the new key's: the lookup must not take it.
    Report.objects.filter(pk=report.pk).update(receipt_key_id="r2025")
    assert not opens(code)


def test_codes_issued_before_receipt_keys_keep_working_and_move_to_the_current_key(db, settings):
    settings.HALTE_RECEIPT_KEYS = ""
    settings.SECRET_KEY = "the-secret-of-the-old-days-" + "s" * 40
    report, code = a_report_with_its_code()
    legacy = salted_hmac("halte.reports.receipt", code, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()
    assert stored(report) == ("legacy", legacy)  # exactly what was stored before receipt keys existed

    settings.HALTE_RECEIPT_KEYS = NEW
    assert opens(code)
    assert stored(report)[0] == "r2026"
    settings.SECRET_KEY = "rotated-" + "t" * 50
    assert opens(code)


def test_a_legacy_code_survives_a_secret_key_rotation_when_its_secret_is_kept_as_the_legacy_key(db, settings):
    old_secret = "the-secret-of-the-old-days-" + "s" * 40
    settings.HALTE_RECEIPT_KEYS = ""
    settings.SECRET_KEY = old_secret
    report, code = a_report_with_its_code()
    settings.SECRET_KEY = "rotated-" + "t" * 50
    settings.HALTE_RECEIPT_KEYS = NEW
    assert not opens(code)  # the old secret is gone from everywhere
    settings.HALTE_RECEIPT_KEYS = f"{NEW},legacy:{old_secret}"
    assert opens(code)
    assert stored(report)[0] == "r2026"


def test_a_draft_retried_after_a_key_rotation_keeps_its_code(db, settings):
    """The double-click path compares the code with the row under the row's own key, not the current one."""
    from halte.reports.actions import filed_from_draft

    settings.HALTE_RECEIPT_KEYS = OLD
    report, code = a_report_with_its_code()
    Report.objects.filter(pk=report.pk).update(submission_token="t" * 32)
    before = stored(report)
    settings.HALTE_RECEIPT_KEYS = f"{NEW},{OLD}"
    assert filed_from_draft(submission_token="t" * 32, receipt_code=code).report.pk == report.pk
    assert stored(report) == before
    assert opens(code)


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("r2026", "identifiant:secret"),
        ("r2026:court", "32 caractères"),
        ("r 2026:" + "x" * 40, "n’est pas valable"),
        (f"{NEW},{NEW}", "deux fois"),
    ],
)
def test_malformed_receipt_keys_are_refused_in_french(settings, raw, said):
    settings.HALTE_RECEIPT_KEYS = raw
    with pytest.raises(ImproperlyConfigured, match=said):
        receipts.keys()
    [error] = checks.receipt_keys_configured(None)
    assert error.id == "halte_reports.E003" and said in error.msg


def test_production_refuses_to_run_without_receipt_keys(settings):
    settings.PRODUCTION = True
    settings.HALTE_RECEIPT_KEYS = ""
    [error] = checks.receipt_keys_configured(None)
    assert error.id == "halte_reports.E003" and "SECRET_KEY" in error.msg
    settings.HALTE_RECEIPT_KEYS = NEW
    assert checks.receipt_keys_configured(None) == []


# --- The migration ----------------------------------------------------------------------------------

BEFORE = [("reports", "0011_reporter_kind_in_the_third_person")]
AFTER = [("reports", "0012_receipt_key_id")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_existing_code_working(settings):
    settings.HALTE_RECEIPT_KEYS = ""
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old_apps = executor.loader.project_state(BEFORE).apps
        OldReport = old_apps.get_model("reports", "Report")
        code = receipts.new_code()
        digest = salted_hmac("halte.reports.receipt", code, secret=settings.SECRET_KEY, algorithm="sha256")
        OldReport.objects.create(
            reference="SIG-2025-000001",
            channel="public_form",
            reporter_kind="victim",
            description="Avant la migration.",
            receipt_lookup=digest.hexdigest(),
            receipt_hash=receipts.slow_hash(code),
        )
        OldReport.objects.create(
            reference="SIG-2025-000002", channel="phone", reporter_kind="parent", description="Sans code."
        )
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        rows = dict(Report.objects.values_list("reference", "receipt_key_id"))
        assert rows == {"SIG-2025-000001": "legacy", "SIG-2025-000002": ""}
        settings.HALTE_RECEIPT_KEYS = NEW
        found = receipts.find(code)
        assert found is not None and found.reference == "SIG-2025-000001"
        assert Report.objects.get(reference="SIG-2025-000001").receipt_key_id == "r2026"
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
