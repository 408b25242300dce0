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
