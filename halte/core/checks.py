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
* ``halte.E005`` the object store of ``HALTE_STORAGE_URL`` (when set): it must answer, the bucket
  must exist, and the credentials must let Halte write, read and delete (a probe object is written
  under ``<prefix>.halte-probe/`` and removed).
* ``halte.E006`` each configured evidence key opens its key check (a new key under an old id would
  seal files every other machine calls altered), and every key id stored files use is configured.
* ``halte.W003`` that store ignores conditional writes (``If-None-Match: *``): a sealed file is then
  protected from being overwritten by a look-before-write only (see ``halte.core.blobs``).
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
def check_evidence_keys_match(app_configs=None, databases=None, **kwargs) -> list[checks.CheckMessage]:
    """``halte.E006``: each configured key opens its key check, and every key id stored files use is
    configured. A machine started with a new key under an old id would seal files that every other
    machine calls altered; one without a key still in use cannot open those files."""
    from halte.reports import vault

    try:
        _, keys = vault.keyring()
    except ImproperlyConfigured:
        return []  # halte.E002 says what is wrong
    hint = (
        "Remettez le fichier de clés d’origine (docs/deploy.md, « Sauvegarder et restaurer ») ; une nouvelle "
        "clé s’ajoute sous un nouvel identifiant, en tête du trousseau (« Changer de clé »)."
    )
    errors: list[checks.CheckMessage] = []
    try:
        failing = vault.key_check_failures()
    except OSError:
        failing = []  # the store does not answer: halte.E005 says so
    for key_id in failing:
        errors.append(
            checks.Error(
                f"La clé « {key_id} » configurée n’est pas celle qui a scellé les pièces sous cet identifiant : "
                "Halte ne démarre pas avec elle, sinon les pièces qu’elle scellerait passeraient pour altérées.",
                hint=hint,
                id="halte.E006",
            )
        )
    if databases and "default" in databases:
        try:
            missing = _key_ids_in_use() - set(keys)
        except DatabaseError:
            missing = set()  # unreachable or not migrated: halte.E004 or the migration check says so
        for key_id in sorted(missing):
            errors.append(
                checks.Error(
                    f"Des pièces ou des documents sont scellés avec la clé « {key_id} », absente du trousseau : "
                    "ils ne pourraient pas être relus.",
                    hint=hint,
                    id="halte.E006",
                )
            )
    return errors


def _key_ids_in_use() -> set[str]:
    from halte.documents.models import Document
    from halte.reports.models import Evidence

    used = set(Evidence.objects.order_by().values_list("key_id", flat=True).distinct())
    used |= set(Document.objects.exclude(key_id="").order_by().values_list("key_id", flat=True).distinct())
    return used


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


@checks.register("storage", deploy=True)
def check_object_store(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    config = getattr(settings, "HALTE_STORAGE", None)
    if config is None:
        return []
    try:
        return _probe_object_store(config)
    except _StoreRefused as refused:
        return [
            checks.Error(
                f"Le stockage objet {config.where} (HALTE_STORAGE_URL) {refused}",
                hint="Vérifiez HALTE_STORAGE_URL (ou HALTE_STORAGE_URL_FILE) : hôte, port, tls, nom du "
                "compartiment, clé d’accès et secret, et que le service de stockage est démarré. "
                "Voir docs/deploy.md.",
                id="halte.E005",
            )
        ]


class _StoreRefused(Exception):
    pass


def _store_failure(error: Exception, doing: str) -> _StoreRefused:
    from botocore.exceptions import ClientError, EndpointConnectionError, SSLError

    if isinstance(error, SSLError):
        return _StoreRefused(f"refuse la connexion chiffrée (certificat ou tls=…) en {doing}.")
    if isinstance(error, EndpointConnectionError):
        return _StoreRefused(f"ne répond pas (connexion impossible) en {doing}.")
    if isinstance(error, ClientError):
        response = error.response or {}
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = response.get("Error", {}).get("Code") or status
        if status == 404 or code in {"NoSuchBucket", "404"}:
            return _StoreRefused("ne contient pas ce compartiment : créez-le avant de démarrer Halte.")
        if status in {401, 403} or code in {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied"}:
            return _StoreRefused(f"refuse la clé d’accès ou le secret ({code}) en {doing}.")
        return _StoreRefused(f"répond par une erreur ({code}) en {doing}.")
    return _StoreRefused(f"ne répond pas ({type(error).__name__}) en {doing}.")


def _probe_object_store(config) -> list[checks.CheckMessage]:
    """Ask the store what Halte will ask of it; a refusal raises :class:`_StoreRefused`."""
    import uuid

    from botocore.exceptions import BotoCoreError, ClientError

    from halte.core.blobs import s3_client

    client = s3_client(config, connect_timeout=5, read_timeout=10, attempts=2)
    probe = f"{config.prefix}.halte-probe/{uuid.uuid4().hex}"
    body = b"halte probe"
    steps = [
        ("lisant le compartiment", lambda: client.head_bucket(Bucket=config.bucket)),
        ("écrivant", lambda: client.put_object(Bucket=config.bucket, Key=probe, Body=body, IfNoneMatch="*")),
        ("relisant", lambda: client.get_object(Bucket=config.bucket, Key=probe)["Body"].read()),
        ("listant", lambda: client.list_objects_v2(Bucket=config.bucket, Prefix=f"{config.prefix}.halte-probe/")),
    ]
    messages: list[checks.CheckMessage] = []
    refused: _StoreRefused | None = None
    try:
        for doing, step in steps:
            try:
                result = step()
            except (BotoCoreError, ClientError) as error:
                raise _store_failure(error, doing) from error
            if doing == "relisant" and result != body:
                raise _StoreRefused("ne rend pas ce qui vient d’y être écrit.")
        try:
            client.put_object(Bucket=config.bucket, Key=probe, Body=b"overwritten", IfNoneMatch="*")
        except ClientError as error:
            if (error.response or {}).get("ResponseMetadata", {}).get("HTTPStatusCode") != 412:
                raise _store_failure(error, "écrivant sous condition") from error
        except BotoCoreError as error:
            raise _store_failure(error, "écrivant sous condition") from error
        else:
            messages.append(
                checks.Warning(
                    f"Le stockage objet {config.where} ignore les écritures conditionnelles "
                    "(If-None-Match) : un fichier scellé n’est protégé de l’écrasement que par une "
                    "vérification préalable.",
                    hint="Préférez un service qui les prend en charge (S3, MinIO récent, Ceph RGW récent).",
                    id="halte.W003",
                )
            )
    except _StoreRefused as error:
        refused = error
    try:
        client.delete_object(Bucket=config.bucket, Key=probe)
    except (BotoCoreError, ClientError) as error:
        refused = refused or _store_failure(error, "effaçant")
    if refused is not None:
        raise refused
    return messages


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
