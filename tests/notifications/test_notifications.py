"""Notifications: in-app rows at once, emails through the task queue after commit, never content."""

import pytest
from django.core import mail
from django.urls import reverse

from halte.notifications.models import Notification
from halte.notifications.service import notify


@pytest.fixture
def queued(settings):
    """The production mode: a database queue that a worker empties."""
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}


def test_emails_wait_in_the_queue_until_the_worker_runs(people, queued, django_capture_on_commit_callbacks):
    from halte.delivery import queue
    from halte.delivery.models import Job

    with django_capture_on_commit_callbacks(execute=True):
        notify(
            memberships=[people.coordinator], kind="new_report", title="Nouveau signalement SIG-2026-000001", url="/x/"
        )
    assert Notification.objects.filter(recipient=people.coordinator.user).count() == 1
    assert mail.outbox == []
    job = Job.objects.get()
    assert job.task == "notifications.email"
    # What the worker (`manage.py worker`) does with the row.
    assert queue.execute(queue.claim(), heartbeat=False) == Job.Status.DONE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [people.coordinator.user.email]
    assert "SIG-2026-000001" in mail.outbox[0].subject


def test_no_email_when_the_transaction_rolls_back(people, django_capture_on_commit_callbacks):
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        notify(memberships=[people.coordinator], kind="new_report", title="Titre", url="/x/")
        raise RuntimeError
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_inbox_shows_and_marks_read(client, login, people):
    notify(
        memberships=[people.coordinator],
        kind="new_report",
        title="Nouveau signalement SIG-2026-000002",
        url="/x/",
        email=False,
    )
    login(client, people.coordinator)
    page = client.get(reverse("notifications:inbox")).content.decode()
    assert "SIG-2026-000002" in page
    assert "Nouveau" in page
    assert Notification.objects.get().read_at is not None
    other = client.get(reverse("notifications:inbox"))
    assert other.status_code == 200


def test_a_neutral_email_title_keeps_the_case_out_of_the_mailbox(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            memberships=[people.school_a_staff],
            kind="case_outcome",
            title="Suites données au dossier HS-2026-000001 : harcèlement non établi",
            email_title="Des suites ont été données à un dossier",
            url="/dossiers/x/",
        )
    assert Notification.objects.get().title.startswith("Suites données au dossier HS-2026-000001")
    (sent,) = mail.outbox
    assert "HS-2026" not in sent.subject + sent.body
    assert "non établi" not in sent.subject + sent.body
    assert "Des suites ont été données à un dossier" in sent.subject


def test_a_title_longer_than_the_column_is_cut_at_a_word(people):
    long_name = "Association départementale d’aide aux victimes " * 8
    (row,) = notify(memberships=[people.coordinator], kind="action_assigned", title=long_name, url="/x/", email=False)
    row.refresh_from_db()
    assert len(row.title) <= 200
    assert row.title.endswith("…")
    assert long_name.startswith(row.title[:-1])
