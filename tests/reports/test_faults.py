"""Fault injection on PostgreSQL: a report is saved whole or not at all, and the answer says which.

The faults are real: the report's database backend is killed with ``pg_terminate_backend`` from a
second connection (before, during and right after its COMMIT), and the media folder is made
read-only. After each: no partial rows, no orphan or missing file, a page or JSON that tells the
truth, and a retry that ends with exactly one complete report and one email to each coordinator.
"""

import os
import shutil
import stat
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction
from django.db.models.signals import post_save
from django.test import Client
from django.urls import reverse

from halte.accounts.models import Role
from halte.audit.models import Action, AuditEvent
from halte.core.submission import new_token
from halte.delivery.models import Job
from halte.notifications.models import Notification
from halte.reports import drafts, vault
from halte.reports.models import Evidence, IdempotencyRecord, Report, ReportedPupil
from tests.conftest import empty_the_database
from tests.factories import MembershipFactory, OrganisationFactory, SchoolFactory

from .helpers import draft_of, fill_until_finish, jpeg_with_gps, post_step

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="faults are injected into PostgreSQL"),
]
faulty = pytest.mark.usefixtures("committed_db")

ARRIVED = "ton signalement est bien arrivé"
NOT_SAVED = "rien n’a été enregistré : réessaie"
UNKNOWN = "On ne sait pas encore si ton signalement est arrivé"
LOCK_KEY = 7_300_310  # advisory lock that holds a COMMIT open while it is killed


# --- The stage ----------------------------------------------------------------------------------


@pytest.fixture
def committed_db(django_db_setup, django_db_blocker):
    """Real commits on the test database (a fault during COMMIT needs one), emptied afterwards as a
    transactional test's database is (tests/conftest.py)."""
    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            # pytest-django creates the test database only for tests marked django_db: with none
            # selected (``-k``), select test_the_email_task_commits_or_rolls_back_with_the_report too.
            pytest.skip("no test database: select a django_db test of this module as well")
        yield
        empty_the_database()


@pytest.fixture
def coordinators(settings):
    """Two coordinators of the cell, a school, the database task queue (as in production), a vault."""
    media = Path(tempfile.mkdtemp(prefix="halte-faults-"))
    media.chmod(0o755)  # traversable by the unprivileged user of the read-only test
    settings.MEDIA_ROOT = media / "media"
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}  # emptied by the worker, as in production
    dsden = OrganisationFactory(name="DSDEN de la Somme")
    SchoolFactory(uai="0800020M", name="Collège A")
    members = [
        MembershipFactory(organisation=dsden, role=Role.COORDINATOR, user__email=f"coordination{n}@halte.test")
        for n in (1, 2)
    ]
    yield [m.user.email for m in members]
    shutil.rmtree(media, ignore_errors=True)


@pytest.fixture
def second_connection():
    """A connection of its own to the test database, to kill the application's backend from outside."""
    params = connection.settings_dict
    other = psycopg.connect(
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"],
        password=params["PASSWORD"] or None,
        dbname=params["NAME"],
        autocommit=True,
    )
    yield other
    other.close()


def kill_backend(other, pid: int) -> None:
    # Waits (up to 5 s) until the backend is gone: the next statement on it fails for certain.
    assert other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()[0]


def backend_pid() -> int:
    connection.ensure_connection()
    return connection.connection.info.backend_pid


@contextmanager
def armed_on_report_insert():
    """A flag raised when a report row is inserted: the commit that follows is the report's."""
    state = {"armed": False}

    def arm(sender, created, **kwargs):
        if created:
            state["armed"] = True

    post_save.connect(arm, sender=Report, dispatch_uid="faults-arm")
    try:
        yield state
    finally:
        post_save.disconnect(dispatch_uid="faults-arm", sender=Report)


@contextmanager
def kill_before_commit(other):
    """(a) The backend dies while the report's transaction is under way: after its second file row."""
    seen = []

    def on_evidence(sender, created, **kwargs):
        seen.append(created)
        if len(seen) == 2:
            kill_backend(other, backend_pid())

    post_save.connect(on_evidence, sender=Evidence, dispatch_uid="faults-before")
    try:
        yield
    finally:
        post_save.disconnect(dispatch_uid="faults-before", sender=Evidence)


@contextmanager
def kill_during_commit(other):
    """(b) The backend dies while it executes the COMMIT: a deferred trigger makes the COMMIT wait for
    a lock held by the second connection, which kills the backend once it waits there."""
    other.execute(
        "CREATE FUNCTION halte_faults_hold() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN PERFORM pg_advisory_xact_lock({LOCK_KEY}); RETURN NULL; END $$"
    )
    other.execute(
        "CREATE CONSTRAINT TRIGGER halte_faults_hold AFTER INSERT ON reports_report "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION halte_faults_hold()"
    )
    other.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    killed = []

    def watch():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not killed:
            row = other.execute(
                "SELECT pid, query FROM pg_stat_activity WHERE wait_event = 'advisory' AND pid <> pg_backend_pid()"
            ).fetchone()
            if row:
                killed.append(row[1])
                kill_backend(other, row[0])
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield
    finally:
        watcher.join()
        other.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        other.execute("DROP TRIGGER halte_faults_hold ON reports_report")
        other.execute("DROP FUNCTION halte_faults_hold()")
    assert killed == ["COMMIT"], killed  # it was the COMMIT that was waiting when it was killed


@contextmanager
def lose_commit_answer(other, monkeypatch):
    """(b') The COMMIT is done on the server, and the backend is killed before the client hears of
    it: the client gets the real error of a dead connection in place of the answer."""
    real = connection._commit
    with armed_on_report_insert() as state:

        def commit():
            if not state["armed"]:
                return real()
            state["armed"] = False
            real()
            kill_backend(other, connection.connection.info.backend_pid)
            with connection.wrap_database_errors:
                connection.connection.execute("SELECT 1")  # raises: the connection is dead

        monkeypatch.setattr(connection, "_commit", commit)
        yield
    monkeypatch.undo()


@contextmanager
def kill_after_commit(other, monkeypatch):
    """(c) The COMMIT answered, then the backend dies before anything else is asked of it."""
    real = connection._commit
    with armed_on_report_insert() as state:

        def commit():
            real()
            if state["armed"]:
                state["armed"] = False
                kill_backend(other, connection.connection.info.backend_pid)

        monkeypatch.setattr(connection, "_commit", commit)
        yield
    monkeypatch.undo()


@contextmanager
def read_only_media(settings):
    """The media folder refuses writes. As root, permissions do not bind: drop to an unprivileged
    effective user for the duration (the real user stays root, so it can come back)."""
    root = Path(settings.MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o555)
    privileged = os.geteuid() == 0
    try:
        if privileged:
            os.seteuid(65534)
        yield
    finally:
        if privileged:
            os.seteuid(0)
        root.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)


def fault(name, other, monkeypatch, settings):
    return {
        "before_commit": lambda: kill_before_commit(other),
        "during_commit": lambda: kill_during_commit(other),
        "commit_answer_lost": lambda: lose_commit_answer(other, monkeypatch),
        "after_commit": lambda: kill_after_commit(other, monkeypatch),
        "read_only_media": lambda: read_only_media(settings),
    }[name]()


# --- What must hold after each fault ------------------------------------------------------------


def vault_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    # The key check of each key id (keycheck/) is the vault's own, not a report's file.
    return {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] != "keycheck"
    }


def assert_nothing_saved(settings):
    assert Report.objects.count() == 0
    assert ReportedPupil.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert not AuditEvent.objects.filter(action=Action.REPORT_RECEIVED).exists()
    assert Notification.objects.count() == 0
    assert Job.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0
    assert vault_files(settings) == set(), "orphan files in the vault"


def assert_one_complete_report(settings, coordinators, *, files: int, pupils: int = 2, delivered_before=False):
    report = Report.objects.get()
    assert report.pupils.count() == pupils
    evidence = list(report.evidence.all())
    assert len(evidence) == files
    referenced = {p for e in evidence for p in (e.original_path, e.display_path) if p}
    assert vault_files(settings) == referenced, "orphan or missing files"
    for item in evidence:
        assert vault.read_original(item)  # decrypts and matches its SHA-256
    assert AuditEvent.objects.filter(action=Action.REPORT_RECEIVED, detail__channel=report.channel).count() == 1
    # Exactly one notification and one email per coordinator, sent by the worker from the queued jobs.
    recipients = sorted(Notification.objects.values_list("recipient__email", flat=True))
    assert recipients == sorted(coordinators)
    assert sorted(Job.objects.values_list("recipient", flat=True)) == sorted(coordinators)
    mail.outbox.clear()
    call_command("worker", "--batch", verbosity=0)
    if delivered_before:  # sent by an earlier run of the worker: nothing new to send
        assert mail.outbox == []
    else:
        assert sorted(address for message in mail.outbox for address in message.to) == sorted(coordinators)
    return report


def two_files():
    return [
        SimpleUploadedFile("capture.jpg", jpeg_with_gps(), content_type="image/jpeg"),
        SimpleUploadedFile("messages.txt", "Tu vas voir demain à la sortie.".encode(), content_type="text/plain"),
    ]


def send(client):
    return post_step(client, "envoyer", {"files": two_files()})


# --- The queue is in the transaction ------------------------------------------------------------


@pytest.mark.django_db
def test_the_email_task_commits_or_rolls_back_with_the_report(coordinators):
    """The email jobs are written inside the report's transaction: a rolled-back report leaves no
    job, a saved one cannot lose them (no step between the commit and the enqueue)."""

    from halte.reports import actions

    data = actions.ReportData(channel="public_form", reporter_kind="victim", description="On me frappe au self.")
    with pytest.raises(RuntimeError), transaction.atomic():
        actions.submit_report(data=data, actor=None)
        assert Job.objects.count() == len(coordinators)  # written in the transaction, before any commit
        raise RuntimeError("rolled back")
    assert Job.objects.count() == 0
    assert Report.objects.count() == 0


# --- The public form ----------------------------------------------------------------------------

NOT_COMMITTED = ["before_commit", "during_commit", "read_only_media"]
COMMITTED = ["commit_answer_lost", "after_commit"]


@faulty
@pytest.mark.parametrize("name", NOT_COMMITTED)
def test_public_report_not_committed_says_so_and_a_retry_files_it_once(
    name, coordinators, second_connection, monkeypatch, settings
):
    client = Client()
    fill_until_finish(client)
    client.get(reverse("reports:step", args=["envoyer"]))  # the page the child sends from
    with fault(name, second_connection, monkeypatch, settings):
        response = send(client)
    close_old_connections()  # what Django does between two requests
    page = response.content.decode()
    assert response.status_code == 503
    assert NOT_SAVED in page and ARRIVED not in page and 'id="code-de-suivi"' not in page
    assert_nothing_saved(settings)
    assert "faits" in draft_of(client)  # what the child wrote is still there

    retry = send(client)
    assert retry.status_code == 200 and ARRIVED in retry.content.decode()
    assert_one_complete_report(settings, coordinators, files=2)


@faulty
@pytest.mark.parametrize("name", COMMITTED)
def test_public_report_committed_shows_its_code_and_a_retry_files_nothing_more(
    name, coordinators, second_connection, monkeypatch, settings
):
    client = Client()
    fill_until_finish(client)
    draft = draft_of(client)
    with fault(name, second_connection, monkeypatch, settings):
        response = send(client)
    close_old_connections()  # what Django does between two requests
    page = response.content.decode()
    assert response.status_code == 200, page[:2000]
    assert ARRIVED in page and NOT_SAVED not in page
    code = page.split('id="code-de-suivi">')[1].split("<")[0].strip()
    assert Client().post(reverse("reports:mailbox_open"), {"code": code}).status_code == 302  # the code works
    assert_one_complete_report(settings, coordinators, files=2)

    # The browser never got that page: the child sends the same draft again, files included.
    session = client.session
    drafts.save(session, draft)
    session.save()
    retry = send(client)
    assert retry.status_code == 200 and ARRIVED in retry.content.decode()
    assert_one_complete_report(settings, coordinators, files=2, delivered_before=True)


# --- The API ------------------------------------------------------------------------------------

PAYLOAD = {
    "reporter_kind": "victim",
    "school_uai": "0800020M",
    "description": "Des élèves de 4e lui prennent son goûter et l'insultent dans le bus scolaire.",
    "pupils": [{"first_name": "Inès", "role": "victim"}, {"first_name": "Hugo", "role": "alleged_author"}],
}


@pytest.fixture
def api(coordinators):
    from halte.reports import apikeys

    partner = OrganisationFactory(name="Association 3018")
    _key, raw = apikeys.create_key(organisation=partner, name="Plateforme 3018")
    client = Client()

    def post(key="cle-7f3a"):
        return client.post(
            "/api/v1/reports",
            PAYLOAD,
            content_type="application/json",
            headers={"X-Api-Key": raw, "Idempotency-Key": key},
        )

    return post


@faulty
@pytest.mark.parametrize("name", ["before_commit_api", "during_commit"])
def test_api_report_not_committed_answers_503_and_the_same_key_files_it_once(
    name, api, coordinators, second_connection, monkeypatch, settings
):
    injected = (
        kill_before_commit_api(second_connection)
        if name == "before_commit_api"
        else fault(name, second_connection, monkeypatch, settings)
    )
    with injected:
        response = api()
    close_old_connections()
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert "rien n’a été enregistré" in response.json()["detail"]
    assert_nothing_saved(settings)

    retry = api()
    assert retry.status_code == 201, retry.content
    assert_one_complete_report(settings, coordinators, files=0)
    assert IdempotencyRecord.objects.count() == 1


@faulty
@pytest.mark.parametrize("name", COMMITTED)
def test_api_report_committed_answers_201_and_the_same_key_replays_it(
    name, api, coordinators, second_connection, monkeypatch, settings
):
    with fault(name, second_connection, monkeypatch, settings):
        response = api()
    close_old_connections()
    assert response.status_code == 201, response.content
    assert response.json()["id"] == str(Report.objects.get().public_id)
    retry = api()
    assert retry.status_code == 200 and retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == response.json()["id"]
    assert_one_complete_report(settings, coordinators, files=0, pupils=2)
    assert IdempotencyRecord.objects.count() == 1


@contextmanager
def kill_before_commit_api(other):
    """(a) for the API (no files): the backend dies after the report's audit row, before the COMMIT."""

    def on_audit(sender, created, instance, **kwargs):
        if instance.action == Action.REPORT_RECEIVED:
            kill_backend(other, backend_pid())

    post_save.connect(on_audit, sender=AuditEvent, dispatch_uid="faults-api-before")
    try:
        yield
    finally:
        post_save.disconnect(dispatch_uid="faults-api-before", sender=AuditEvent)


@faulty
def test_staff_intake_with_a_read_only_media_folder_says_nothing_was_saved(coordinators, settings):
    from tests.conftest import log_in

    member = MembershipFactory(
        organisation=OrganisationFactory(name="DSDEN de l'Oise"), role=Role.COORDINATOR, user__email="c3@halte.test"
    )
    client = log_in(Client(), member)
    url = reverse("reports:staff_new")
    client.get(url)
    data = {
        "channel": "parquet",
        "received_at": "2026-12-01T10:15",
        "reporter_kind": "other",
        "is_anonymous": "on",
        "school": "0800020M",
        "description": "Saisine du parquet : Lucas est frappé dans les vestiaires depuis deux semaines.",
        "files": two_files(),
        "submission_token": new_token(),
    }
    with read_only_media(settings):
        response = client.post(url, data)
    close_old_connections()
    assert response.status_code == 503
    assert "rien n’a été gardé" in response.content.decode()
    assert_nothing_saved(settings)
