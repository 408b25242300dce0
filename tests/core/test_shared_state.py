"""What two processes must share: the cache (database by default, Redis when REDIS_URL is set)."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def in_another_process(code: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update({"DJANGO_SETTINGS_MODULE": "halte.settings", **env})
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_with_redis_url_the_cache_is_redis_and_shared_between_processes():
    key, value = f"halte-test-{uuid.uuid4().hex}", uuid.uuid4().hex
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    backend = in_another_process(
        "from django.core.cache import cache, caches; "
        f"print(type(caches['default']).__name__); cache.set({key!r}, {value!r}, 60)",
        **redis,
    )
    assert backend == "RedisCache"
    seen = in_another_process(f"from django.core.cache import cache; print(cache.get({key!r}))", **redis)
    assert seen == value
    in_another_process(f"from django.core.cache import cache; cache.delete({key!r})", **redis)


def test_without_redis_url_the_cache_is_the_database():
    backend = in_another_process(
        "from django.core.cache import caches; print(type(caches['default']).__name__)", REDIS_URL=""
    )
    assert backend == "DatabaseCache"
