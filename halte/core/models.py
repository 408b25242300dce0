"""Infrastructure shared by the domain apps: gap-free yearly counters for human references."""

from django.db import models


class Counter(models.Model):
    """The last number handed out for a name and a year ("report", 2026 → SIG-2026-000042)."""

    name = models.CharField(max_length=32)
    year = models.PositiveSmallIntegerField()
    value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "year"], name="counter_unique_name_year")]

    def __str__(self) -> str:
        return f"{self.name} {self.year}: {self.value}"


class SubmissionToken(models.Model):
    """A form's one-time token, spent in the transaction that creates what the form asked for.

    The unique token makes a second post of the same form (a double click, a resent page) fail to
    spend it again, and `target_url` says where the first one's result is (`halte/core/submission.py`)."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_url = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="submission_token_created_idx")]

    def __str__(self) -> str:
        return f"{self.token[:8]}… → {self.target_url}"
