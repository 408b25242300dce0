"""`manage.py tick`: one periodic pass — clock reminders and escalations, approval warnings, weak-signal purge.

Schedule it every minute (cron: `* * * * * cd /srv/halte && .venv/bin/python manage.py tick -v 0`).
It is idempotent and costs one query when nothing is due. `--now` replays a given instant.
`--enqueue` hands the pass to the task worker (`manage.py worker`) instead of running it here.
Two passes never overlap: the second one exits at once (PostgreSQL advisory lock). A completed pass
records a heartbeat: /healthz answers 503 when the last one is too old (a dead cron).
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from halte.core import periodic


def parse_now(value: str) -> datetime:
    """An ISO 8601 instant; without an offset it is read as local time (Europe/Paris)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(
            f"« {value} » n’est pas une date valide : utilisez le format ISO, par exemple 2026-11-25T10:00."
        ) from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


class Command(BaseCommand):
    help = "Envoie les rappels et les escalades des échéances des dossiers (à lancer chaque minute)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            help="Instant de référence au format ISO (ex. 2026-11-25T10:00, heure de Paris sans fuseau précisé).",
        )

        parser.add_argument(
            "--enqueue", action="store_true", help="Confier le passage au processus de tâches (manage.py worker)."
        )

    def handle(self, *args, now=None, verbosity=1, enqueue=False, **options):
        if enqueue:
            from halte.cases.tasks import tick_task
            from halte.delivery.queue import enqueue

            queued = enqueue(tick_task, title="Passage périodique")
            if verbosity:
                self.stdout.write(f"Passage des échéances confié au processus de tâches ({queued.public_id}).")
            return
        result = periodic.run_exclusive(parse_now(now) if now else None)
        if result is None:
            if verbosity:
                self.stdout.write("Un autre passage est en cours : rien à faire.")
            return
        if verbosity:
            self.stdout.write(result.summary())
