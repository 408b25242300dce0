"""The antivirus scan of evidence, by a ClamAV daemon (clamd) when one is configured.

``HALTE_CLAMD_URL`` names the daemon: ``tcp://host:3310``, ``unix:///run/clamav/clamd.ctl`` or an
absolute socket path. Empty (the default), nothing is scanned and the staff pages say so (« fichiers
non analysés par un antivirus »); in production ``manage.py check --deploy`` warns.

The client speaks clamd's ``INSTREAM`` command itself, over one socket per file: ``zINSTREAM\\0``,
then the file in chunks each preceded by its length (4 bytes, network order), a zero length to end,
and one reply ending in a NUL byte: ``stream: OK``, ``stream: <signature> FOUND`` or ``… ERROR``.
No file ever touches the daemon's disk, and clamd needs no access to the vault.

A scan never stops a report from being received: a daemon that is down, slow or answers nonsense
gives ``FAILED`` (the staff page says the file was not analysed; ``manage.py scan_evidence`` retries).
"""

from __future__ import annotations

import logging
import re
import socket
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .enums import ScanStatus

logger = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
MAX_REPLY_BYTES = 4096
DEFAULT_TIMEOUT = 30.0
_FOUND = re.compile(r"\Astream: (?P<signature>.{1,200}) FOUND\Z")


@dataclass(frozen=True)
class ScanResult:
    status: str  # a ScanStatus
    signature: str = ""  # the name of what was found, when INFECTED


@dataclass(frozen=True)
class Daemon:
    family: int
    address: str | tuple[str, int]


def configured_daemon() -> Daemon | None:
    """The daemon of ``HALTE_CLAMD_URL``, or None when none is configured."""
    return parse_url(getattr(settings, "HALTE_CLAMD_URL", "") or "")


def parse_url(url: str) -> Daemon | None:
    url = url.strip()
    if not url:
        return None
    if url.startswith("/"):
        return Daemon(socket.AF_UNIX, url)
    parts = urlsplit(url)
    if parts.scheme == "unix" and parts.path.startswith("/"):
        return Daemon(socket.AF_UNIX, parts.path)
    if parts.scheme == "tcp" and parts.hostname:
        try:
            port = parts.port or 3310
        except ValueError as exc:
            raise ImproperlyConfigured(f"HALTE_CLAMD_URL : port invalide dans « {url} ».") from exc
        return Daemon(socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET, (parts.hostname, port))
    raise ImproperlyConfigured(
        f"HALTE_CLAMD_URL : « {url} » n’est ni tcp://hôte:port, ni unix:///chemin, ni un chemin de socket."
    )


def is_configured() -> bool:
    return configured_daemon() is not None


def scan(data: bytes) -> ScanResult:
    """Scan ``data`` with the configured daemon; NOT_SCANNED when there is none, FAILED when it fails."""
    daemon = configured_daemon()
    if daemon is None:
        return ScanResult(ScanStatus.NOT_SCANNED)
    timeout = float(getattr(settings, "HALTE_CLAMD_TIMEOUT", DEFAULT_TIMEOUT))
    try:
        reply = _instream(daemon, data, timeout)
    except OSError as error:
        logger.warning("Antivirus scan failed: %s", error.__class__.__name__)
        return ScanResult(ScanStatus.FAILED)
    return interpret(reply)


def interpret(reply: str) -> ScanResult:
    if reply == "stream: OK":
        return ScanResult(ScanStatus.CLEAN)
    found = _FOUND.match(reply)
    if found:
        return ScanResult(ScanStatus.INFECTED, found.group("signature"))
    logger.warning("Antivirus daemon answered something else than OK or FOUND: %.120r", reply)
    return ScanResult(ScanStatus.FAILED)


def _instream(daemon: Daemon, data: bytes, timeout: float) -> str:
    with socket.socket(daemon.family, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        connection.connect(daemon.address)
        connection.sendall(b"zINSTREAM\0")
        view = memoryview(data)
        for start in range(0, len(data), CHUNK_BYTES):
            chunk = view[start : start + CHUNK_BYTES]
            connection.sendall(struct.pack(">I", len(chunk)))
            connection.sendall(chunk)
        connection.sendall(struct.pack(">I", 0))
        return _read_reply(connection)


def _read_reply(connection: socket.socket) -> str:
    reply = b""
    while b"\0" not in reply and len(reply) < MAX_REPLY_BYTES:
        received = connection.recv(MAX_REPLY_BYTES)
        if not received:
            break
        reply += received
    return reply.split(b"\0", 1)[0].decode("utf-8", "replace").strip()
