"""`manage.py worker`: empties the job queue (notification emails, meeting invitations, `tick --enqueue`).

Run one or more, kept alive by the service manager (systemd `Restart=always`). SIGTERM or SIGINT
lets the running job finish, then stops. A worker killed outright (SIGKILL, power loss) loses
nothing: its job's lease runs out and the next worker takes it back. `--batch` runs what is ready
and exits.
"""

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from halte.delivery import queue


class Command(BaseCommand):
    help = (
        "Exécute les tâches en attente (courriels, passage périodique confié) ; --batch s’arrête quand tout est fait."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Exécuter ce qui est prêt puis s’arrêter.")

    def handle(self, *args, batch=False, verbosity=1, **options):
        if settings.PRODUCTION:
            # The web server's own checks (configuration, database, storage, keys, migrations): a worker
            # started by hand must not send with a configuration the web server would refuse.
            from halte.core import startup

            if not startup.report(*startup.problems(migrations=True, static=False)):
                raise CommandError("le processus de tâches ne démarre pas : corrigez la configuration ci-dessus.")
        stop = threading.Event()

        def finish_then_stop(signum, frame):
            stop.set()

        signal.signal(signal.SIGTERM, finish_then_stop)
        signal.signal(signal.SIGINT, finish_then_stop)
        if verbosity:
            self.stdout.write(f"Processus de tâches {queue.worker_name()} démarré.")
        ran = queue.work(batch=batch, stop=stop)
        if verbosity:
            self.stdout.write(f"Tâches exécutées : {ran}.")
