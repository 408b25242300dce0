"""Background tasks of cases: the clocks' pass, runnable by the task worker (`manage.py db_worker`)."""

from django_tasks import task

from halte.core import periodic


@task()
def tick_task() -> str:
    """One periodic pass (clocks, approvals, weak-signal purge); returns its French summary."""
    return periodic.run().summary()
