"""Background work of cases: the periodic pass, when `tick --enqueue` hands it to the worker."""

from halte.core import periodic
from halte.delivery.queue import task


@task("periodic.tick", max_attempts=1)
def tick_task() -> None:
    """One periodic pass (clocks, approvals, weak-signal purge, orphan files), unless one is running."""
    periodic.run_exclusive()
