"""Background tasks of cases: the clocks' pass, runnable by the task worker (`manage.py db_worker`)."""

from django_tasks import task

from . import clocks


@task()
def tick_task() -> dict[str, int]:
    """One pass of reminders and escalations; returns the counts per level."""
    return clocks.tick().counts()
