"""System checks of the evidence pipeline, run by ``manage.py check --deploy`` in production."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security, deploy=True)
def antivirus_configured(app_configs, **kwargs):
    """Without a daemon, evidence is stored unscanned: allowed (a report must never be lost), never silent."""
    from . import antivirus

    if not settings.PRODUCTION:
        return []
    try:
        configured = antivirus.is_configured()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="halte_reports.E001")]
    if configured:
        return []
    return [
        checks.Warning(
            "HALTE_CLAMD_URL n’est pas défini : les pièces des signalements ne sont analysées par aucun antivirus.",
            hint="Indiquez un démon ClamAV (tcp://hôte:3310 ou le chemin de sa socket Unix).",
            id="halte_reports.W001",
        )
    ]


@checks.register(checks.Tags.security, deploy=True)
def custody_key_configured(app_configs, **kwargs):
    """Custody packs are signed with a key that must outlive any server: production refuses a generated one."""
    from . import custody

    if not settings.PRODUCTION:
        return []
    try:
        custody.signing_key()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="halte_reports.E002")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def receipt_keys_configured(app_configs, **kwargs):
    """Receipt codes keyed with SECRET_KEY would stop working when it changes: production needs keys of their own."""
    from . import receipts

    try:
        pairs = receipts.parse(receipts.configured())
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="halte_reports.E003")]
    if settings.PRODUCTION and not pairs:
        return [
            checks.Error(
                "HALTE_RECEIPT_KEYS (ou HALTE_RECEIPT_KEYS_FILE) est obligatoire en production : sans clé propre, "
                "les codes de suivi dépendraient de SECRET_KEY et ne fonctionneraient plus après sa rotation.",
                hint="Indiquez « identifiant:secret » (32 caractères au moins), par exemple "
                "« r2026:<secret aléatoire> », et conservez-le avec les autres secrets.",
                id="halte_reports.E003",
            )
        ]
    return []
