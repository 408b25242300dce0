"""The job queue in one process, against real local mail servers: an email is sent, or retried, or
marked failed and shown to the administrator — never left running, never "done" with nothing sent."""

import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from halte.audit.models import AuditEvent
from halte.delivery import queue
from halte.delivery.models import Job
from halte.notifications.service import notify

from .conftest import use_smtp
from .smtp import free_port

TITLE = "Nouveau signalement SIG-2026-000042"


def notify_coordinator(people):
    notify(memberships=[people.coordinator], kind="new_report", title=TITLE, url="/signalements/x/")


def run_ready() -> list[str]:
    """What `manage.py worker --batch` does, in this process (heartbeats off)."""
    outcomes = []
    while (job := queue.claim()) is not None:
        outcomes.append(queue.execute(job, heartbeat=False))
    return outcomes


def test_the_email_job_is_written_with_the_change_and_waits_for_a_worker(people, queued):
    notify_coordinator(people)
    job = Job.objects.get()
    assert (job.status, job.task, job.title, job.recipient) == (
        Job.Status.QUEUED,
        "notifications.email",
        TITLE,
        "coordination@halte.test",
    )
    assert mail.outbox == []
    assert run_ready() == [Job.Status.DONE]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["coordination@halte.test"]


def test_a_rolled_back_change_queues_nothing(people, queued):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_coordinator(people)
        raise RuntimeError
    assert not Job.objects.exists()


def test_immediate_mode_sends_after_commit_through_the_same_row(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify_coordinator(people)
    assert len(mail.outbox) == 1
    assert Job.objects.get().status == Job.Status.DONE


def test_a_refused_connection_is_retried_then_failed_never_done(people, queued, settings):
    use_smtp(settings, free_port())
    notify_coordinator(people)
    outcomes = run_ready()
    assert outcomes == [Job.Status.QUEUED, Job.Status.QUEUED, Job.Status.FAILED]
    job = Job.objects.get()
    assert (job.status, job.attempts) == (Job.Status.FAILED, 3)
    assert "ConnectionRefusedError" in job.last_error
    assert job.finished_at is not None


def test_a_server_that_never_answers_times_out_and_ends_failed(people, queued, settings, silent_server):
    use_smtp(settings, silent_server.port, timeout=1)
    notify_coordinator(people)
    started = time.monotonic()
    run_ready()
    assert time.monotonic() - started < 3 * 1 + 5  # three attempts of one second, not forever
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert "timed out" in job.last_error or "Timeout" in job.last_error
    assert silent_server.accepted.is_set()


def test_backoff_waits_before_the_next_attempt(people, queued, settings):
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "BACKOFF": [60, 300]}
    use_smtp(settings, free_port())
    notify_coordinator(people)
    before = timezone.now()
    assert run_ready() == [Job.Status.QUEUED]  # not ready again for a minute
    job = Job.objects.get()
    assert job.run_after >= before + timedelta(seconds=60)
    assert queue.backoff(1) == timedelta(seconds=60)
    assert queue.backoff(2) == queue.backoff(9) == timedelta(seconds=300)


def test_a_job_whose_worker_died_is_taken_back_and_delivered(people, queued):
    notify_coordinator(people)
    lost = queue.claim(
        pk=Job.objects.get().pk, now=timezone.now() - timedelta(hours=1)
    )  # claimed an hour ago by a worker now dead
    assert lost.status == Job.Status.RUNNING
    assert queue.recover() == 1
    job = Job.objects.get()
    assert (job.status, job.lease_token, job.attempts) == (Job.Status.QUEUED, None, 1)
    assert "Interrompu" in job.last_error
    assert run_ready() == [Job.Status.DONE]
    assert len(mail.outbox) == 1
    # The dead worker's outcome, if it ever came back, is not recorded over the new one.
    assert queue._settle(lost, status=Job.Status.FAILED, last_error="late") == Job.Status.DONE


def test_a_lost_job_on_its_last_attempt_ends_failed(people, queued):
    notify_coordinator(people)
    Job.objects.update(max_attempts=1)
    queue.claim(pk=Job.objects.get().pk, now=timezone.now() - timedelta(hours=1))
    queue.recover()
    assert Job.objects.get().status == Job.Status.FAILED


def test_the_administrator_sees_failed_deliveries_by_title_and_retries_them(
    client, login, people, queued, settings, smtp_server
):
    use_smtp(settings, free_port())
    notify(
        memberships=[people.coordinator],
        kind="critical_alert",
        title="Alerte critique : dossier HS-2026-000007 (P1), le beau-père frappe",
        email_title="Alerte critique : dossier HS-2026-000007",
        url="/dossiers/x/",
    )
    run_ready()
    login(client, people.admin)
    page = client.get(reverse("delivery:troubles")).content.decode()
    assert "Alerte critique : dossier HS-2026-000007" in page
    assert "beau-père" not in page  # the in-app title carries more than the email's: never shown here
    assert "coordination@halte.test" in page
    assert "ConnectionRefusedError" in page
    job = Job.objects.get()
    response = client.post(reverse("delivery:retry", args=[job.public_id]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.QUEUED, 0)
    assert AuditEvent.objects.filter(target_type="delivery.job", target_id=str(job.public_id)).exists()
    use_smtp(settings, smtp_server.port)
    assert run_ready() == [Job.Status.DONE]
    assert [m.recipients for m in smtp_server.messages] == [["coordination@halte.test"]]
    assert "Aucun envoi en échec" in client.get(reverse("delivery:troubles")).content.decode()


def test_a_job_that_is_neither_failed_nor_stuck_is_not_retried(client, login, people, queued):
    notify_coordinator(people)
    run_ready()
    login(client, people.admin)
    client.post(reverse("delivery:retry", args=[Job.objects.get().public_id]))
    assert Job.objects.get().status == Job.Status.DONE


def test_stuck_deliveries_are_listed(client, login, people, queued, settings):
    notify_coordinator(people)
    Job.objects.update(run_after=timezone.now() - timedelta(hours=2))  # nobody has run the worker
    login(client, people.admin)
    page = client.get(reverse("delivery:troubles")).content.decode()
    assert TITLE in page
    assert "En attente trop longue" in page


@pytest.mark.parametrize("name", ["coordinator", "dpo", "analyst", "school_a_staff"])
def test_only_the_administrator_opens_the_deliveries(client, login, people, name, queued):
    notify_coordinator(people)
    login(client, getattr(people, name))
    assert client.get(reverse("delivery:troubles")).status_code == 403
    assert client.post(reverse("delivery:retry", args=[Job.objects.get().public_id])).status_code == 403


def test_done_jobs_are_forgotten_after_thirty_days_failed_ones_stay(people, queued, settings):
    from halte.core import periodic

    notify_coordinator(people)
    notify_coordinator(people)
    done, failed = Job.objects.order_by("id")
    Job.objects.filter(pk=done.pk).update(status=Job.Status.DONE, finished_at=timezone.now() - timedelta(days=31))
    Job.objects.filter(pk=failed.pk).update(status=Job.Status.FAILED, finished_at=timezone.now() - timedelta(days=90))
    assert periodic.run_exclusive().jobs_purged == 1
    assert list(Job.objects.values_list("pk", flat=True)) == [failed.pk]
