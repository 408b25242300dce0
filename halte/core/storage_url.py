"""``HALTE_STORAGE_URL``: where sealed files go when they leave the machine (an S3-compatible store).

The form is one URL, so that it can be kept whole in a secret file (``HALTE_STORAGE_URL_FILE``)::

    s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix]?region=eu-west-3&tls=true

- ``ACCESS_KEY`` and ``SECRET_KEY`` are percent-encoded if they hold ``:``, ``@``, ``/`` or ``%``;
- ``bucket`` must already exist; ``prefix`` (optional) keeps Halte's objects under one folder;
- ``region`` (default ``us-east-1``), ``tls`` (``true`` by default: ``https://`` to the endpoint),
  ``addressing`` (``path`` by default, as most S3-compatible servers want; ``virtual`` for
  ``bucket.host``), ``ca`` (a CA bundle file for a store behind a private authority).

Any other parameter is refused, so that a typo is not silently ignored. This module only reads the
URL (it is imported by the settings); :mod:`halte.core.blobs` talks to the store, and
:mod:`halte.core.checks` checks at start that it answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

EXAMPLE = "s3://CLE_D_ACCES:SECRET@stockage.exemple.gouv.fr/halte-preuves?region=fr-par"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_TRUE = {"true", "1", "yes", "oui"}
_FALSE = {"false", "0", "no", "non"}
_PARAMETERS = {"region", "tls", "addressing", "ca"}


@dataclass(frozen=True)
class StorageConfig:
    endpoint: str  # "https://host:port"
    bucket: str
    prefix: str  # "" or "folder/" (always ends with a slash when set)
    region: str
    access_key: str
    secret_key: str = field(repr=False)
    addressing: str = "path"
    ca_bundle: str = ""

    @property
    def tls(self) -> bool:
        return self.endpoint.startswith("https://")

    @property
    def where(self) -> str:
        """Endpoint and bucket, never the credentials: for messages."""
        return f"{self.endpoint}/{self.bucket}" + (f"/{self.prefix.rstrip('/')}" if self.prefix else "")


def _refuse(reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"HALTE_STORAGE_URL invalide : {reason} Forme attendue : {EXAMPLE}")


def _flag(name: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _refuse(f"le paramètre « {name} » doit valoir true ou false (« {value} » reçu).")


def parse(url: str) -> StorageConfig | None:
    """The store described by ``url``, or None when it is empty (files stay in MEDIA_ROOT)."""
    url = url.strip()
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise _refuse(f"l’adresse ne se lit pas ({error}).") from None
    if parts.scheme != "s3":
        raise _refuse(f"elle doit commencer par s3:// (« {parts.scheme or '?'}:// » reçu).")
    if not parts.hostname:
        raise _refuse("l’hôte du stockage manque.")
    if parts.username is None or parts.password is None or not parts.username or not parts.password:
        raise _refuse("la clé d’accès et le secret manquent (s3://CLE:SECRET@hôte/…).")
    if parts.fragment:
        raise _refuse("elle ne doit pas contenir de fragment (#…).")
    segments = [segment for segment in parts.path.split("/") if segment]
    if not segments:
        raise _refuse("le nom du compartiment (bucket) manque après l’hôte.")
    bucket, prefix_parts = segments[0], segments[1:]
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise _refuse(f"« {bucket} » n’est pas un nom de compartiment valide (3 à 63 caractères a-z, 0-9, . et -).")
    if any(not _PREFIX_PART.match(part) or part in {".", ".."} for part in prefix_parts):
        raise _refuse("le préfixe ne peut contenir que lettres, chiffres, « . », « _ » et « - » entre les « / ».")
    options: dict[str, str] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True, strict_parsing=False):
        if name not in _PARAMETERS:
            raise _refuse(f"paramètre inconnu « {name} » (permis : {', '.join(sorted(_PARAMETERS))}).")
        if name in options:
            raise _refuse(f"le paramètre « {name} » est donné deux fois.")
        options[name] = value
    tls = _flag("tls", options.get("tls", "true"))
    addressing = options.get("addressing", "path")
    if addressing not in {"path", "virtual"}:
        raise _refuse(f"« addressing » doit valoir path ou virtual (« {addressing} » reçu).")
    region = options.get("region", "us-east-1")
    if not re.match(r"^[a-z0-9-]{1,40}$", region):
        raise _refuse(f"région « {region} » invalide.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{port}" if port else "")
    return StorageConfig(
        endpoint=f"{'https' if tls else 'http'}://{netloc}",
        bucket=bucket,
        prefix="".join(f"{part}/" for part in prefix_parts),
        region=region,
        access_key=unquote(parts.username),
        secret_key=unquote(parts.password),
        addressing=addressing,
        ca_bundle=options.get("ca", ""),
    )


def default_storage(config: StorageConfig) -> dict:
    """Django's default storage (plain FileFields) on the same bucket, under ``<prefix>media/``."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "endpoint_url": config.endpoint,
            "bucket_name": config.bucket,
            "location": f"{config.prefix}media",
            "region_name": config.region,
            "access_key": config.access_key,
            "secret_key": config.secret_key,
            "addressing_style": config.addressing,
            "verify": config.ca_bundle or None,
            "signature_version": "s3v4",
            "file_overwrite": False,  # a second file of the same name gets a new name, as on disk
            "default_acl": None,  # private: the bucket's own policy, never public-read
            "querystring_auth": True,  # never a bare public URL
            "querystring_expire": 300,
        },
    }
