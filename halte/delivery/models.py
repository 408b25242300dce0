"""The job queue and the heartbeats of the periodic work.

A `Job` is work that must follow a commit (an email, the periodic pass), written in the same
transaction as the change that calls for it (`queue.enqueue`). Its `title` is what the
administrator sees: a reference and a kind of message, never content.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Fait")
        FAILED = "failed", _("Échec")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    task = models.CharField(max_length=100)  # a name registered with `queue.task`
    title = models.CharField(max_length=200)
    recipient = models.CharField(max_length=254, blank=True)  # the address of an email, else empty
    payload = models.JSONField(default=dict)  # {"args": [...], "kwargs": {...}}
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=6)
    run_after = models.DateTimeField(default=timezone.now)
    lease_token = models.UUIDField(null=True, blank=True)
    leased_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_after", "id"]
        indexes = [
            models.Index(fields=["run_after", "id"], name="job_ready_idx", condition=Q(status="queued")),
            models.Index(fields=["leased_until"], name="job_lease_idx", condition=Q(status="running")),
            models.Index(fields=["status", "-finished_at"], name="job_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="running", lease_token__isnull=False, leased_until__isnull=False)
                | (~Q(status="running") & Q(lease_token__isnull=True)),
                name="job_running_holds_a_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task}: {self.title}"


class Heartbeat(models.Model):
    """When a recurring duty last completed (`tick`) or a worker last looked for work (`worker`)."""

    name = models.CharField(max_length=32, primary_key=True)
    beat_at = models.DateTimeField()
    detail = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"


def beat(name: str, detail: dict | None = None, *, now=None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now or timezone.now(), "detail": detail or {}})
