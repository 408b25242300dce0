"""A real S3-compatible server for tests: moto in server mode, in a subprocess on a free port.

Each test gets a bucket of its own (:func:`new_bucket`), so tests never see each other's objects.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import pytest

from halte.core.storage_url import StorageConfig, parse

ACCESS_KEY = "halte-test-access"
SECRET_KEY = "halte-test-secret/with+signs"  # percent-encoded in the URL


@dataclass
class S3Server:
    port: int
    process: subprocess.Popen

    def url(self, bucket: str, prefix: str = "") -> str:
        secret = SECRET_KEY.replace("/", "%2F").replace("+", "%2B")
        path = f"{bucket}/{prefix}".rstrip("/")
        return f"s3://{ACCESS_KEY}:{secret}@127.0.0.1:{self.port}/{path}?tls=false&region=eu-west-3"

    def config(self, bucket: str, prefix: str = "") -> StorageConfig:
        config = parse(self.url(bucket, prefix))
        assert config is not None
        return config

    def new_bucket(self, prefix: str = "") -> StorageConfig:
        config = self.config(f"halte-{uuid.uuid4().hex[:20]}", prefix)
        client().create_bucket(Bucket=config.bucket, CreateBucketConfiguration={"LocationConstraint": config.region})
        return config

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object of the bucket, read straight from the server (not through Halte)."""
        s3 = client()
        listed = s3.list_objects_v2(Bucket=bucket).get("Contents", [])
        return {item["Key"]: s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed}


_server: S3Server | None = None


def client():
    from halte.core.blobs import s3_client

    assert _server is not None
    return s3_client(_server.config("halte-any"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start() -> S3Server:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - moto's own server, from this interpreter
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the local S3-compatible server (moto) did not start")
            time.sleep(0.1)
    return S3Server(port=port, process=process)


@pytest.fixture(scope="session")
def s3_server():
    global _server
    _server = start()
    yield _server
    _server.process.terminate()
    try:
        _server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _server.process.kill()
    _server = None


@pytest.fixture
def object_store(s3_server, settings):
    """Halte's files on a fresh bucket of the local S3-compatible server for this test."""
    config = s3_server.new_bucket(prefix="halte")
    settings.HALTE_STORAGE = config
    return config
