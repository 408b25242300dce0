"""The real worker (`manage.py worker`, a subprocess) against real local mail servers, on PostgreSQL:
killed mid-email, its job is taken back and delivered; facing a server that never answers, the job
ends failed and shows on the administrator's page. Never RUNNING forever, never "done" with nothing sent."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from halte.delivery.models import Job
from halte.notifications.service import notify
from tests.races import on_postgresql, wait_until

from .smtp import SilentServer, SmtpServer

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Nouveau signalement SIG-2026-000077"

pytestmark = [on_postgresql, pytest.mark.django_db(transaction=True)]


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker(smtp_port: int, *, batch: bool = False, email_timeout: int = 60) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "EMAIL_TIMEOUT": str(email_timeout),
        "HALTE_JOBS_LEASE": "2",
        "HALTE_JOBS_BACKOFF": "0",
        "HALTE_JOBS_POLL": "0.2",
        "HALTE_JOBS_IMMEDIATE": "false",
    }
    command = [sys.executable, "manage.py", "worker", "-v", "0", *(["--batch"] if batch else [])]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603 - our own command


@pytest.fixture
def queued(settings):
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False, "MAX_ATTEMPTS": 2}


@pytest.fixture
def servers():
    started = []

    def start(kind):
        server = kind()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def test_a_worker_killed_mid_email_loses_nothing(people, queued, servers):
    silent = servers(SilentServer)
    notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")
    first = worker(silent.port)
    try:
        wait_until(lambda: silent.accepted.is_set(), timeout=60)  # it is in the middle of the email
        assert Job.objects.get().status == Job.Status.RUNNING
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    job = Job.objects.get()
    assert job.status == Job.Status.RUNNING  # what a dead worker leaves: only its lease can tell
    wait_until(lambda: timezone.now() > Job.objects.get().leased_until + timezone.timedelta(milliseconds=100))

    mail_server = servers(SmtpServer)
    second = worker(mail_server.port, batch=True)
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.DONE, 2)
    assert job.last_error == ""
    assert [m.recipients for m in mail_server.messages] == [["coordination@halte.test"]]
    assert "SIG-2026-000077" in mail_server.messages[0].data


def test_a_mail_server_that_never_answers_ends_failed_and_shown_to_the_administrator(
    client, login, people, queued, servers
):
    silent = servers(SilentServer)
    notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")
    started = time.monotonic()
    run = worker(silent.port, batch=True, email_timeout=1)
    _out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err.decode()
    assert time.monotonic() - started < 60
    job = Job.objects.get()
    assert (job.status, job.attempts) == (Job.Status.FAILED, 2)
    assert "timed out" in job.last_error
    login(client, people.admin)
    page = client.get(reverse("delivery:troubles")).content.decode()
    assert TITLE in page
    assert "timed out" in page
    # The administrator retries once the mail server is repaired: delivered.
    client.post(reverse("delivery:retry", args=[job.public_id]))
    mail_server = servers(SmtpServer)
    again = worker(mail_server.port, batch=True)
    again.communicate(timeout=120)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert len(mail_server.messages) == 1


def test_a_refused_connection_is_not_a_success(people, queued):
    from .smtp import free_port

    notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")
    run = worker(free_port(), batch=True)
    run.communicate(timeout=120)
    job = Job.objects.get()
    assert (job.status, job.attempts) == (Job.Status.FAILED, 2)
    assert "ConnectionRefusedError" in job.last_error


def test_sigterm_lets_the_running_job_finish(people, queued, servers):
    mail_server = servers(SmtpServer)
    run = worker(mail_server.port)
    try:
        time.sleep(1)
        notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")
        wait_until(lambda: Job.objects.get().status == Job.Status.DONE, timeout=60)
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
    assert run.returncode == 0
    assert len(mail_server.messages) == 1


def test_a_worker_outlives_the_loss_of_its_database_connection(people, queued, servers):
    from halte.delivery.models import Heartbeat

    mail_server = servers(SmtpServer)
    with connection.cursor() as cursor:  # sessions of this test process (a live server's, say): spared
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ours = [pid for (pid,) in cursor.fetchall()]
    run = worker(mail_server.port)
    try:
        wait_until(lambda: Heartbeat.objects.filter(name="worker").exists(), timeout=60)
        with connection.cursor() as cursor:  # what a database restart or a proxy timeout does to the worker's
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT (pid = ANY(%s))",
                [ours],
            )
            assert cursor.fetchall(), "the worker had no session to lose"
        notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")
        wait_until(lambda: Job.objects.get().status == Job.Status.DONE, timeout=60)
        assert run.poll() is None  # still working
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
    assert len(mail_server.messages) == 1


def test_two_workers_at_once_never_send_the_same_email_twice(people, queued, servers):
    """Two machines each run a worker on the same queue: every job is claimed by one of them only."""
    titles = [f"Nouveau signalement SIG-2026-{n:06d}" for n in range(1, 41)]
    for title in titles:
        notify(memberships=[people.coordinator], kind="new_report", title=title, url="/signalements/x/")
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == len(titles)
    mail_server = servers(SmtpServer)
    both = [worker(mail_server.port, batch=True), worker(mail_server.port, batch=True)]
    for process in both:
        _out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err.decode()
    assert Job.objects.exclude(status=Job.Status.DONE).count() == 0
    assert set(Job.objects.values_list("attempts", flat=True)) == {1}
    # Each message names one report, and each report is named by exactly one message.
    named = [[title for title in titles if title in message.data] for message in mail_server.messages]
    assert all(len(titles_in_message) == 1 for titles_in_message in named)
    assert sorted(title for [title] in named) == titles
