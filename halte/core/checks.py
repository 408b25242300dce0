"""Production readiness, checked before the first request rather than at the first child's report.

These are Django system checks, so they run with ``manage.py check --deploy`` (``scripts/prod``
runs it before migrating and before serving) and again when the production server starts
(``halte.core.gunicorn_conf``: the server refuses to start on any error). Messages are in French:
they are read by the département's IT department.

* ``halte.E001`` ``SITE_URL``: every email, password-reset link and calendar file points there, so
  it must be the public ``https://`` address, and its host must be one of ``ALLOWED_HOSTS``.
* ``halte.E002`` the evidence keyring (``HALTE_EVIDENCE_KEYS`` or ``HALTE_EVIDENCE_KEYS_FILE``):
  missing or malformed, the first report with a file would fail.
* ``halte.E003`` ``DEFAULT_FROM_EMAIL``: a real sender address, not a reserved test domain.
* ``halte.E004`` the database answers (only when checks are given a database: ``--database default``).
* ``halte.W001`` / ``halte.W002``: the task worker (``manage.py worker``) or the periodic pass (``tick``)
  shows no sign of life: tasks waiting for long, a heartbeat gone quiet, or no trace at all.
  Warnings only: a fresh installation has not run them yet.
"""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connections
from django.http.request import validate_host
from django.utils import timezone

# Domains reserved for tests and examples (RFC 2606, RFC 6761): mail sent from them goes nowhere.
RESERVED_SUFFIXES = (".localhost", ".local", ".test", ".invalid", ".example", ".internal")
RESERVED_DOMAINS = {"localhost", "example.com", "example.net", "example.org"}

# A task waiting longer than this means no worker is taking tasks.
STALLED_AFTER = timedelta(minutes=10)
# The periodic pass runs every minute; silence for this long means the timer or cron is dead.
TICK_SILENT_AFTER = timedelta(minutes=15)
# A worker's heartbeat (when recorded) older than this means it stopped looking for work.
WORKER_SILENT_AFTER = timedelta(minutes=15)


@checks.register(checks.Tags.security, deploy=True)
def check_site_url(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    site_url = getattr(settings, "SITE_URL", "") or ""
    hint = "Exemple : SITE_URL=https://halte.exemple.gouv.fr (sans chemin ni barre finale)."
    if not site_url:
        return [
            checks.Error(
                "SITE_URL n’est pas renseignée : les liens des courriels, des réinitialisations de mot de "
                "passe et des invitations n’auraient pas d’adresse.",
                hint=hint,
                id="halte.E001",
            )
        ]
    parts = urlsplit(site_url)
    if parts.scheme != "https" or not parts.hostname:
        return [
            checks.Error(
                f"SITE_URL doit être l’adresse publique en https:// du service (« {site_url} » reçue).",
                hint=hint,
                id="halte.E001",
            )
        ]
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return [
            checks.Error(
                f"SITE_URL ne doit contenir ni chemin ni paramètre (« {site_url} » reçue).", hint=hint, id="halte.E001"
            )
        ]
    if not validate_host(parts.hostname, settings.ALLOWED_HOSTS):
        return [
            checks.Error(
                f"L’hôte de SITE_URL (« {parts.hostname} ») ne figure pas dans ALLOWED_HOSTS : "
                "les liens envoyés par courriel seraient refusés.",
                hint="Ajoutez-le à ALLOWED_HOSTS.",
                id="halte.E001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_evidence_keyring(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from halte.reports import vault

    try:
        vault.keyring()
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                f"Trousseau des clés du coffre des preuves invalide : {error}",
                hint="Format : HALTE_EVIDENCE_KEYS=identifiant:clé_base64_de_32_octets (la première est la "
                "clé courante), ou HALTE_EVIDENCE_KEYS_FILE=chemin d’un fichier lisible. Voir docs/deploy.md.",
                id="halte.E002",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_sender(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    sender = getattr(settings, "DEFAULT_FROM_EMAIL", "") or ""
    _, address = parseaddr(sender)
    local, at, domain = address.rpartition("@")
    domain = domain.lower().rstrip(".")
    hint = "Exemple : DEFAULT_FROM_EMAIL=Halte <ne-pas-repondre@halte.exemple.gouv.fr>"
    if not (local and at and "." in domain):
        return [
            checks.Error(
                f"DEFAULT_FROM_EMAIL doit être une adresse d’expédition réelle (« {sender} » reçue).",
                hint=hint,
                id="halte.E003",
            )
        ]
    if domain in RESERVED_DOMAINS or domain.endswith(RESERVED_SUFFIXES):
        return [
            checks.Error(
                f"DEFAULT_FROM_EMAIL utilise un domaine réservé aux essais (« {domain} ») : "
                "aucun courriel n’arriverait.",
                hint=hint,
                id="halte.E003",
            )
        ]
    return []


@checks.register(checks.Tags.database)
def check_database(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for alias in databases or ():
        connection = connections[alias]
        try:
            connection.ensure_connection()
        except DatabaseError as error:
            where = connection.settings_dict.get("HOST") or "localhost"
            port = connection.settings_dict.get("PORT") or "5432"
            detail = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
            errors.append(
                checks.Error(
                    f"La base de données « {connection.settings_dict.get('NAME')} » sur {where}:{port} "
                    f"ne répond pas ou refuse la connexion : {detail}",
                    hint="Vérifiez DATABASE_URL (hôte, port, nom de la base, rôle et mot de passe) "
                    "et que PostgreSQL est démarré.",
                    id="halte.E004",
                )
            )
    return errors


@checks.register(checks.Tags.database, deploy=True)
def check_background_work(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when the worker or the periodic pass shows no sign of life (a queue emptied by a worker)."""
    if not databases or "default" not in databases:
        return []
    if settings.HALTE_JOBS["IMMEDIATE"]:
        return []
    try:
        return _worker_warnings() + _tick_warnings()
    except DatabaseError:
        # Unreachable (halte.E004 says so) or not migrated yet (a fresh installation): nothing to judge.
        return []


def _worker_warnings() -> list[checks.CheckMessage]:
    from halte.delivery import queue

    now = timezone.now()
    waiting = queue.oldest_ready_age(now)
    if waiting is not None and waiting > STALLED_AFTER:
        minutes = int(waiting.total_seconds() // 60)
        return [
            checks.Warning(
                f"Des tâches attendent depuis {minutes} minutes : le processus de tâches (manage.py worker) "
                "ne tourne pas. Les courriels de notification ne partent pas.",
                hint="systemctl status halte-worker.service",
                id="halte.W001",
            )
        ]
    beat = queue.last_beat("worker")
    if beat is None:
        return [
            checks.Warning(
                "Le processus de tâches (manage.py worker) n’a encore jamais donné signe de vie.",
                hint="Démarrez halte-worker.service (voir docs/deploy.md). Normal sur une installation neuve.",
                id="halte.W001",
            )
        ]
    if now - beat > WORKER_SILENT_AFTER:
        return [
            checks.Warning(
                f"Le processus de tâches ne donne plus signe de vie depuis le "
                f"{timezone.localtime(beat):%d/%m/%Y à %H:%M}.",
                hint="systemctl status halte-worker.service",
                id="halte.W001",
            )
        ]
    return []


def _tick_warnings() -> list[checks.CheckMessage]:
    last = last_periodic_pass()
    if last is None:
        return [
            checks.Warning(
                "Aucune trace du passage périodique (manage.py tick) : les relances et les escalades "
                "des délais ne partent pas.",
                hint="Activez halte-tick.timer (voir docs/deploy.md). Normal sur une installation neuve.",
                id="halte.W002",
            )
        ]
    if timezone.now() - last > TICK_SILENT_AFTER:
        return [
            checks.Warning(
                f"Le dernier passage périodique (manage.py tick) date du "
                f"{timezone.localtime(last):%d/%m/%Y à %H:%M} : le minuteur semble arrêté.",
                hint="systemctl status halte-tick.timer",
                id="halte.W002",
            )
        ]
    return []


def last_periodic_pass():
    """The last moment the periodic pass ran (its heartbeat, recorded by ``periodic.run_exclusive``), or None."""
    from halte.delivery import queue

    return queue.last_beat("tick")
