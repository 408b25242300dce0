"""Two periodic passes started at once: one does the work, the other exits at once (PostgreSQL
advisory lock), and the heartbeat is written by the one that worked."""

import os
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from halte.core import periodic
from halte.delivery.models import Heartbeat, beat
from tests.races import in_threads, join, on_postgresql, wait_until, waiting_for_locks


def advisory_lock_held() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND ((classid::bigint << 32) | objid::bigint) = %s",
            [periodic.LOCK_KEY],
        )
        return cursor.fetchone()[0] == 1


def orphan(tmp_path):
    path = tmp_path / "vault" / "2026" / "orphan.bin"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"sealed")
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    return path


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_passes_started_at_once_one_works_the_other_exits_at_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    leftover = orphan(tmp_path)
    before = timezone.now() - timedelta(hours=1)
    beat("tick", now=before)
    with transaction.atomic():
        # Hold the heartbeat row: the first pass takes the lock, does its work, then waits here.
        Heartbeat.objects.select_for_update().get(name="tick")
        threads, first = in_threads(periodic.run_exclusive)
        wait_until(advisory_lock_held)
        started = time.monotonic()
        second = periodic.run_exclusive()
        assert second is None  # the second pass did nothing…
        assert time.monotonic() - started < 1  # …and did not wait
        wait_until(lambda: waiting_for_locks() == 1)  # the first pass now waits to write its heartbeat
        assert not leftover.exists()  # the first one did the work
        assert Heartbeat.objects.get(name="tick").beat_at == before
    join(threads)
    assert isinstance(first[0], periodic.PassResult)
    assert first[0].orphan_files == ["vault/2026/orphan.bin"]
    assert Heartbeat.objects.get(name="tick").beat_at > before
    assert not advisory_lock_held()  # released: the next minute's pass runs
    assert periodic.run_exclusive() is not None


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_tick_says_another_pass_is_running_and_exits(settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    leftover = orphan(tmp_path)
    with transaction.atomic():
        Heartbeat.objects.create(name="tick", beat_at=timezone.now() - timedelta(hours=1))
    with transaction.atomic():
        Heartbeat.objects.select_for_update().get(name="tick")
        threads, _first = in_threads(lambda: call_command("tick", verbosity=0))
        wait_until(advisory_lock_held)
        call_command("tick")
        assert "Un autre passage est en cours" in capsys.readouterr().out
    join(threads)
    assert not leftover.exists()
