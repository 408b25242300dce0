"""/healthz tells monitoring when the periodic pass or the worker has stopped, and the periodic pass
cleans up files left without a row."""

import os
import time
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from halte.delivery import queue
from halte.delivery.models import Heartbeat, Job, beat
from halte.notifications.service import notify


def health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_a_pass_older_than_the_threshold_answers_503(client, db, settings):
    settings.HALTE_HEALTH = {"TICK_MAX_AGE": 300, "QUEUE_MAX_AGE": 600}
    now = timezone.now()
    beat("tick", now=now - timedelta(seconds=240))
    assert health(client)[0] == 200
    beat("tick", now=now - timedelta(minutes=6))  # the cron died six minutes ago
    status, body = health(client)
    assert status == 503
    assert body["problems"] == ["tick_late"]
    assert body["last_tick_age_seconds"] >= 360
    call_command("tick", verbosity=0)  # the cron is back
    assert health(client)[0] == 200


def test_the_threshold_is_a_setting(client, db, settings):
    beat("tick", now=timezone.now() - timedelta(seconds=90))
    settings.HALTE_HEALTH = {"TICK_MAX_AGE": 60, "QUEUE_MAX_AGE": 600}
    assert health(client)[0] == 503
    settings.HALTE_HEALTH = {"TICK_MAX_AGE": 120, "QUEUE_MAX_AGE": 600}
    assert health(client)[0] == 200


def test_a_stuck_queue_answers_503_and_failed_deliveries_are_counted(client, people, settings):
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}
    beat("tick")
    notify(memberships=[people.coordinator], kind="new_report", title="Nouveau signalement", url="/x/")
    assert health(client)[0] == 200  # just queued
    Job.objects.update(run_after=timezone.now() - timedelta(minutes=11))  # no worker for eleven minutes
    status, body = health(client)
    assert status == 503
    assert body["problems"] == ["queue_stuck"]
    assert body["oldest_queued_task_age_seconds"] >= 660
    Job.objects.update(status=Job.Status.FAILED)
    status, body = health(client)
    assert (status, body["failed_deliveries"], body["oldest_queued_task_age_seconds"]) == (200, 1, None)


def test_a_job_waiting_for_its_backoff_is_not_stuck(client, people, settings):
    settings.HALTE_JOBS = {**settings.HALTE_JOBS, "IMMEDIATE": False}
    beat("tick")
    notify(memberships=[people.coordinator], kind="new_report", title="Nouveau signalement", url="/x/")
    Job.objects.update(run_after=timezone.now() + timedelta(hours=1), created_at=timezone.now() - timedelta(hours=1))
    assert health(client)[0] == 200
    assert not queue.stuck().exists()


def test_the_pass_records_its_heartbeat_and_deletes_orphan_files_older_than_an_hour(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    old = time.time() - 2 * 3600
    orphans = [tmp_path / "vault" / "2026" / "orphan.bin", tmp_path / "documents" / "2026" / "11" / "orphan.bin"]
    young = [tmp_path / "vault" / "2026" / "young.bin", tmp_path / "documents" / "2026" / "11" / "young.bin"]
    for path in orphans + young:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"sealed")
    for path in orphans:
        os.utime(path, (old, old))
    call_command("tick", verbosity=0)
    assert [path.exists() for path in orphans] == [False, False]
    assert [path.exists() for path in young] == [True, True]  # their transaction may not have committed yet
    assert Heartbeat.objects.get(name="tick").beat_at > timezone.now() - timedelta(minutes=1)
