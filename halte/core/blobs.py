"""Where Halte's encrypted files are kept: one small interface over the storage of the deployment.

Evidence (``halte.reports.vault``), generated documents (``halte.documents.storage``) and key checks
are sealed by Halte *before* they get here: this module only ever sees ciphertext. It names each file
by a relative POSIX path whose first part is one of :data:`AREAS` (``vault/2026/12/<hex>.bin``), and
offers the few operations the rest of the code needs, so that backups, key rotation, retention and an
object store all go through one place:

- :func:`write_new` — write a file that must not exist yet (never overwrites);
- :func:`replace` — atomically swap the content of an existing file (key rotation);
- :func:`read`, :func:`exists`, :func:`delete`;
- :func:`listing` — every file of an area with its modification time (orphan sweeps, backups).

Two backends, chosen by the settings, behind the same functions:

- the local folder ``MEDIA_ROOT`` (files 0600 in folders 0700, written with ``fsync``), by default;
- an S3-compatible object store when ``HALTE_STORAGE_URL`` is set (:mod:`halte.core.storage_url`):
  each path is an object key under the URL's prefix. :func:`write_new` first asks whether the key
  exists, then puts with ``If-None-Match: *``, which the server refuses (412) if the key appeared in
  between; a server that ignores that header (the start-up check warns, ``halte.W003``) is left with
  the first question alone, a race only between two writers of the same random 128-bit name.
  :func:`replace` is one PUT: S3 readers see the whole old object or the whole new one.
  A store that does not answer raises :class:`BlobStoreUnavailable`, an ``OSError`` like a full or
  read-only disk, which the callers already turn into a French "try again" page.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from django.conf import settings

from halte.core.storage_url import StorageConfig

AREAS = frozenset({"vault", "documents", "keycheck"})


class BlobMissing(FileNotFoundError):
    """No file is stored under that path."""


class BlobPathRefused(ValueError):
    """A path that would leave Halte's areas (absolute, ``..``, unknown area)."""


class BlobStoreUnavailable(OSError):
    """The object store did not answer, or refused the request (network, credentials, server error)."""


@dataclass(frozen=True)
class Listed:
    path: str  # relative, e.g. "vault/2026/12/<hex>.bin"
    modified: datetime  # aware, UTC


def check_path(relative: str) -> PurePosixPath:
    """The path as given, refused unless it is a plain relative path inside one of the areas."""
    pure = PurePosixPath(relative)
    parts = pure.parts
    if (
        not relative
        or "\\" in relative
        or str(pure) != relative  # "a//b", "a/./b", "a/": one file, one spelling
        or pure.is_absolute()
        or len(parts) < 2
        or parts[0] not in AREAS
        or any(part in {"", ".", ".."} for part in parts)
    ):
        raise BlobPathRefused(f"Refused storage path: {relative!r}")
    return pure


def _root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _local(relative: str) -> Path:
    return _root().joinpath(*check_path(relative).parts)


def _local_write_new(relative: str, blob: bytes) -> None:
    """Store ``blob`` under a path that must not exist yet (``FileExistsError`` otherwise)."""
    path = _local(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _local_replace(relative: str, blob: bytes) -> None:
    """Swap the content of a stored file in one step: a reader sees the old or the new, never half."""
    path = _local(relative)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".replace-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _local_read(relative: str) -> bytes:
    try:
        return _local(relative).read_bytes()
    except FileNotFoundError as exc:
        raise BlobMissing(f"No stored file at {relative}") from exc


def _local_exists(relative: str) -> bool:
    return _local(relative).is_file()


def _local_delete(relative: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    _local(relative).unlink(missing_ok=True)


def _local_listing(area: str) -> Iterator[Listed]:
    """Every file stored in ``area``, in path order (temporary files of :func:`replace` excluded)."""
    if area not in AREAS:
        raise BlobPathRefused(f"Unknown storage area: {area!r}")
    root = _root()
    base = root / area
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.is_symlink() or path.name.startswith(".replace-"):
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        yield Listed(path=path.relative_to(root).as_posix(), modified=modified)


# --- S3-compatible object store -------------------------------------------------------------------
def _config() -> StorageConfig | None:
    return getattr(settings, "HALTE_STORAGE", None)


_clients: dict[tuple[int, StorageConfig], object] = {}


def s3_client(config: StorageConfig, *, connect_timeout: float = 5, read_timeout: float = 30, attempts: int = 3):
    """A boto3 client for ``config`` (a client is thread-safe; one per process, never inherited by a fork)."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=config.endpoint,
        region_name=config.region,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
        verify=config.ca_bundle or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": config.addressing},
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": attempts},
            # Only what S3 itself requires: no optional checksum headers an older server would refuse.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


def _client(config: StorageConfig):
    key = (os.getpid(), config)
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = s3_client(config)
    return client


def _key(config: StorageConfig, relative: str) -> str:
    return config.prefix + check_path(relative).as_posix()


def _status(error: Exception) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code") or "")


def _unavailable(config: StorageConfig, action: str, error: Exception) -> BlobStoreUnavailable:
    detail = _code(error) or type(error).__name__
    return BlobStoreUnavailable(f"Object store {config.where}: {action} failed ({detail})")


def _s3_call(config: StorageConfig, action: str, call, /, **kwargs):
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call(Bucket=config.bucket, **kwargs)
    except ClientError:
        raise
    except BotoCoreError as error:  # unreachable, timed out, TLS refused…
        raise _unavailable(config, action, error) from error


def _s3_exists(config: StorageConfig, relative: str) -> bool:
    from botocore.exceptions import ClientError

    client = _client(config)
    try:
        _s3_call(config, "head", client.head_object, Key=_key(config, relative))
    except ClientError as error:
        if _status(error) == 404:
            return False
        raise _unavailable(config, "head", error) from error
    return True


def _s3_write_new(config: StorageConfig, relative: str, blob: bytes) -> None:
    from botocore.exceptions import ClientError

    key = _key(config, relative)
    if _s3_exists(config, relative):
        raise FileExistsError(f"Already stored: {relative}")
    client = _client(config)
    try:
        _s3_call(config, "put", client.put_object, Key=key, Body=blob, IfNoneMatch="*")
    except ClientError as error:
        if _status(error) == 412 or _code(error) in {"PreconditionFailed", "ConditionalRequestConflict"}:
            raise FileExistsError(f"Already stored: {relative}") from error
        raise _unavailable(config, "put", error) from error


def _s3_replace(config: StorageConfig, relative: str, blob: bytes) -> None:
    from botocore.exceptions import ClientError

    client = _client(config)
    try:
        _s3_call(config, "put", client.put_object, Key=_key(config, relative), Body=blob)
    except ClientError as error:
        raise _unavailable(config, "put", error) from error


def _s3_read(config: StorageConfig, relative: str) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(config)
    try:
        response = _s3_call(config, "get", client.get_object, Key=_key(config, relative))
        return response["Body"].read()
    except ClientError as error:
        if _code(error) == "NoSuchKey" or (_status(error) == 404 and _code(error) != "NoSuchBucket"):
            raise BlobMissing(f"No stored file at {relative}") from error
        raise _unavailable(config, "get", error) from error
    except BotoCoreError as error:  # the connection broke while the body was read
        raise _unavailable(config, "get", error) from error


def _s3_delete(config: StorageConfig, relative: str) -> None:
    from botocore.exceptions import ClientError

    client = _client(config)
    try:
        _s3_call(config, "delete", client.delete_object, Key=_key(config, relative))
    except ClientError as error:
        if _status(error) == 404:
            return
        raise _unavailable(config, "delete", error) from error


# Keys per listing request: S3's own maximum (a test lowers it to walk several pages on a few objects).
LIST_PAGE = 1000


def _s3_listing(config: StorageConfig, area: str) -> Iterator[Listed]:
    from botocore.exceptions import ClientError

    client = _client(config)
    start = f"{config.prefix}{area}/"
    token: dict[str, str] = {}
    while True:
        try:
            page = _s3_call(config, "list", client.list_objects_v2, Prefix=start, MaxKeys=LIST_PAGE, **token)
        except ClientError as error:
            raise _unavailable(config, "list", error) from error
        for item in page.get("Contents", ()):
            relative = item["Key"][len(config.prefix) :]
            try:
                check_path(relative)
            except BlobPathRefused:
                continue  # not written by Halte ("a//b", a folder marker…): never handed on
            # S3 lists keys in byte order, which for these ASCII names is path order.
            yield Listed(path=relative, modified=item["LastModified"].astimezone(UTC))
        if not page.get("IsTruncated"):
            break
        token = {"ContinuationToken": page["NextContinuationToken"]}


# --- The interface ---------------------------------------------------------------------------------
def write_new(relative: str, blob: bytes) -> None:
    """Store ``blob`` under a path that must not exist yet (``FileExistsError`` otherwise)."""
    config = _config()
    if config is None:
        _local_write_new(relative, blob)
    else:
        _s3_write_new(config, relative, blob)


def replace(relative: str, blob: bytes) -> None:
    """Swap the content of a stored file in one step: a reader sees the old or the new, never half."""
    config = _config()
    if config is None:
        _local_replace(relative, blob)
    else:
        _s3_replace(config, relative, blob)


def read(relative: str) -> bytes:
    config = _config()
    return _local_read(relative) if config is None else _s3_read(config, relative)


def exists(relative: str) -> bool:
    config = _config()
    return _local_exists(relative) if config is None else _s3_exists(config, relative)


def delete(relative: str) -> None:
    """Remove a stored file; a file already gone is not an error."""
    config = _config()
    if config is None:
        _local_delete(relative)
    else:
        _s3_delete(config, relative)


def listing(area: str) -> Iterator[Listed]:
    """Every file stored in ``area``, in path order (temporary files of :func:`replace` excluded)."""
    if area not in AREAS:
        raise BlobPathRefused(f"Unknown storage area: {area!r}")
    config = _config()
    if config is None:
        yield from _local_listing(area)
    else:
        yield from _s3_listing(config, area)
