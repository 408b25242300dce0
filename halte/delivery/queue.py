"""The job queue: work that must follow a commit, kept as rows of the same database.

- `enqueue(fn, *args, title=…, **kwargs)` writes one `Job` row **in the caller's transaction**: it
  commits with the change that calls for it and rolls back with it, so nothing is lost between the
  commit and the queue. It is the only way to queue work.
- A worker (`manage.py worker`) claims ready rows with ``SELECT … FOR UPDATE SKIP LOCKED`` (two
  workers never take the same job), holds a **lease** it renews while the job runs (a heartbeat
  thread), and records the outcome under that lease: done; or queued again after a backoff; or
  failed after the last attempt. A job whose lease ran out — its worker was killed, or hung past
  `MAX_RUNTIME` — is taken back by the next claim (`recover`): delivery is at least once.
- With ``HALTE_JOBS["IMMEDIATE"]`` (development, tests) the row is still written, and the web
  process runs it right after the commit; a failure leaves it queued for a worker.
- An administrator sees failed and stuck jobs (titles only) and may queue them again (`retry`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Heartbeat, Job, beat

logger = logging.getLogger(__name__)

Status = Job.Status
WORKER_BEAT_EVERY = timedelta(seconds=30)
KEEP_DONE = timedelta(days=30)


@dataclass(frozen=True)
class Registered:
    name: str
    func: Callable[..., Any]
    max_attempts: int | None


_REGISTRY: dict[str, Registered] = {}


def task(name: str, *, max_attempts: int | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a function as a job under a stable `name` (the rows keep the name, not the import path).

    The function must raise when its work is not done (an email refused, a server that timed out):
    returning normally means done."""

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ValueError(f"Two jobs are named {name!r}.")
        _REGISTRY[name] = Registered(name=name, func=func, max_attempts=max_attempts)
        func.job_name = name  # type: ignore[attr-defined]
        return func

    return register


def options() -> dict[str, Any]:
    return settings.HALTE_JOBS


def enqueue(
    func: Callable[..., Any] | str,
    *args: Any,
    title: str,
    recipient: str = "",
    run_after: datetime | None = None,
    **kwargs: Any,
) -> Job:
    """Queue `func(*args, **kwargs)` in the current transaction (arguments must be JSON).

    `title` names the work for the administrator's page: a kind and a reference, never content."""
    name = func if isinstance(func, str) else getattr(func, "job_name", None)
    if name not in _REGISTRY:
        raise ValueError(f"{func!r} is not a registered job.")
    registered = _REGISTRY[name]
    job = Job.objects.create(
        task=name,
        title=title[: Job._meta.get_field("title").max_length],
        recipient=recipient,
        payload={"args": list(args), "kwargs": kwargs},
        max_attempts=registered.max_attempts or options()["MAX_ATTEMPTS"],
        run_after=run_after or timezone.now(),
    )
    if options()["IMMEDIATE"] and run_after is None:
        transaction.on_commit(lambda: run_now(job.pk))
    return job


# --- The worker's side -------------------------------------------------------------------------------


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def recover(now: datetime | None = None) -> int:
    """Take back the jobs whose lease ran out: queued again, or failed if that was their last attempt."""
    now = now or timezone.now()
    lost = _("Interrompu : le processus qui l’envoyait s’est arrêté ou n’a plus répondu.")
    expired = Job.objects.filter(status=Status.RUNNING, leased_until__lt=now)
    released = {"lease_token": None, "leased_until": None, "last_error": lost}
    failed = expired.filter(attempts__gte=F("max_attempts")).update(status=Status.FAILED, finished_at=now, **released)
    requeued = expired.update(status=Status.QUEUED, run_after=now, **released)
    if failed or requeued:
        logger.warning("Jobs taken back after their lease ran out: %s queued again, %s failed.", requeued, failed)
    return failed + requeued


def ready(now: datetime | None = None) -> QuerySet[Job]:
    return Job.objects.filter(status=Status.QUEUED, run_after__lte=now or timezone.now())


def claim(*, worker: str | None = None, now: datetime | None = None, pk: int | None = None) -> Job | None:
    """Take the next ready job (or job `pk`) under a new lease; None when there is nothing to do."""
    now = now or timezone.now()
    candidates = ready(now) if pk is None else Job.objects.filter(pk=pk, status=Status.QUEUED)
    with transaction.atomic():
        job = candidates.select_for_update(skip_locked=True).order_by("run_after", "id").first()
        if job is None:
            return None
        token = uuid.uuid4()
        changes = {
            "status": Status.RUNNING,
            "lease_token": token,
            "leased_until": now + timedelta(seconds=options()["LEASE"]),
            "worker": worker or worker_name(),
            "started_at": now,
        }
        # Conditional: on a database without row locks (SQLite), two workers cannot both win it.
        if not Job.objects.filter(pk=job.pk, status=Status.QUEUED).update(attempts=F("attempts") + 1, **changes):
            return None
    job.refresh_from_db()
    return job


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    delays = options()["BACKOFF"] or [0]
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1] if attempts else 0)


def describe(error: BaseException) -> str:
    """The class and message of an error, short: what an administrator can act on."""
    text = f"{type(error).__name__}: {error}".strip().rstrip(":")
    return text[: Job._meta.get_field("last_error").max_length]


def execute(job: Job, *, heartbeat: bool = True) -> str:
    """Run a claimed job and record its outcome under its lease. Returns the job's new status."""
    stop = threading.Event()
    beating = None
    if heartbeat:
        beating = threading.Thread(target=_renew_lease, args=(job.pk, job.lease_token, stop), daemon=True)
        beating.start()
    try:
        registered = _REGISTRY.get(job.task)
        if registered is None:
            raise LookupError(f"Unknown job {job.task!r}.")
        registered.func(*job.payload.get("args", []), **job.payload.get("kwargs", {}))
    except Exception as error:  # a job's failure is recorded, never lost nor fatal to the worker
        logger.warning("Job %s (%s) failed, attempt %s of %s.", job.pk, job.task, job.attempts, job.max_attempts)
        return _record_failure(job, error)
    finally:
        stop.set()
        if beating is not None:
            beating.join()
    return _settle(job, status=Status.DONE, last_error="")


def _record_failure(job: Job, error: BaseException) -> str:
    now = timezone.now()
    if job.attempts >= job.max_attempts:
        return _settle(job, status=Status.FAILED, last_error=describe(error), finished_at=now)
    return _settle(job, status=Status.QUEUED, last_error=describe(error), run_after=now + backoff(job.attempts))


def _settle(job: Job, *, status: str, last_error: str, **changes: Any) -> str:
    if status == Status.DONE:
        changes["finished_at"] = timezone.now()
    settled = Job.objects.filter(pk=job.pk, status=Status.RUNNING, lease_token=job.lease_token).update(
        status=status, last_error=last_error, lease_token=None, leased_until=None, **changes
    )
    if not settled:
        # Our lease ran out and the job was taken back: whoever holds it now decides.
        logger.warning("Job %s finished after its lease was taken back; its outcome is not recorded.", job.pk)
        job.refresh_from_db()
        return job.status
    return status


def _renew_lease(pk: int, token: uuid.UUID, stop: threading.Event) -> None:
    lease, deadline = options()["LEASE"], timezone.now() + timedelta(seconds=options()["MAX_RUNTIME"])
    try:
        while not stop.wait(max(lease / 3, 0.1)):
            now = timezone.now()
            if now >= deadline:  # hung for too long: let the lease run out, another worker will take it
                return
            try:
                Job.objects.filter(pk=pk, status=Status.RUNNING, lease_token=token).update(
                    leased_until=now + timedelta(seconds=lease)
                )
            except DatabaseError:  # try again at the next beat, on a new connection
                connection.close()
    finally:
        connection.close()


def run_now(pk: int) -> None:
    """Immediate mode: run one job in this process after its commit; never raise into the request."""
    try:
        job = claim(pk=pk)
        if job is not None:
            execute(job, heartbeat=False)
    except Exception:
        logger.exception("Job %s could not be run at once; it stays in the queue for a worker.", pk)


def work(*, batch: bool = False, stop: threading.Event | None = None) -> int:
    """The worker's loop: recover, claim, run, until `stop` is set (or, with `batch`, nothing is ready).
    Returns how many jobs it ran."""
    stop = stop or threading.Event()
    name, ran, last_beat_at = worker_name(), 0, None
    while not stop.is_set():
        close_old_connections()
        try:
            now = timezone.now()
            recover(now)
            if last_beat_at is None or now - last_beat_at >= WORKER_BEAT_EVERY:
                beat("worker", {"worker": name}, now=now)
                last_beat_at = now
            job = claim(worker=name, now=now)
        except DatabaseError:  # the database went away: wait, then reconnect; nothing is lost meanwhile
            if batch:
                raise
            logger.exception("The worker cannot reach the database; trying again.")
            connection.close()
            stop.wait(options()["POLL"] * 5)
            continue
        if job is None:
            if batch:
                break
            stop.wait(options()["POLL"])
            continue
        try:
            execute(job)
        except DatabaseError:  # its outcome could not be written: the lease will run out and it runs again
            logger.exception("The outcome of job %s could not be recorded.", job.pk)
            connection.close()
        ran += 1
    return ran


def purge_done(now: datetime | None = None) -> int:
    """Forget jobs done more than `KEEP_DONE` ago (failed ones stay until someone retries them)."""
    cutoff = (now or timezone.now()) - KEEP_DONE
    return Job.objects.filter(status=Status.DONE, finished_at__lt=cutoff).delete()[0]


# --- What the administrator and /healthz see ---------------------------------------------------------


def stuck(now: datetime | None = None) -> QuerySet[Job]:
    """Jobs that should have run by now and did not: ready for longer than the queue's threshold (no
    worker is taking them), or running past their lease (their worker died)."""
    now = now or timezone.now()
    late = now - timedelta(seconds=settings.HALTE_HEALTH["QUEUE_MAX_AGE"])
    return Job.objects.filter(
        Q(status=Status.QUEUED, run_after__lt=late) | Q(status=Status.RUNNING, leased_until__lt=now)
    )


def troubled() -> QuerySet[Job]:
    """Failed and stuck jobs, most recent trouble first."""
    now = timezone.now()
    return (Job.objects.filter(status=Status.FAILED) | stuck(now)).order_by(
        F("finished_at").desc(nulls_last=True), "-id"
    )


def oldest_ready_age(now: datetime | None = None) -> timedelta | None:
    now = now or timezone.now()
    oldest = ready(now).aggregate(oldest=Min("run_after"))["oldest"]
    return None if oldest is None else now - oldest


def last_beat(name: str) -> datetime | None:
    return Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()


def retry(job: Job) -> bool:
    """Queue a failed or stuck job again, with a fresh set of attempts. False when it is neither."""
    now = timezone.now()
    again = {
        "status": Status.QUEUED,
        "attempts": 0,
        "run_after": now,
        "lease_token": None,
        "leased_until": None,
        "finished_at": None,
    }
    updated = (Job.objects.filter(pk=job.pk, status=Status.FAILED) | stuck(now).filter(pk=job.pk)).update(**again)
    if updated and options()["IMMEDIATE"]:
        transaction.on_commit(lambda: run_now(job.pk))
    return bool(updated)
