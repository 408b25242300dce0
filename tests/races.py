"""Helpers for race tests on PostgreSQL: run attempts in threads (each with its own connection) while
the test holds a row lock, wait until they all queue behind it, then let them go at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks and concurrency: PostgreSQL")


def waiting_for_locks() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("The concurrent attempts never met.")
        time.sleep(0.05)


def in_threads(*attempts: Callable[[], Any]) -> tuple[list[threading.Thread], list[Any]]:
    """Start each attempt in a thread; its result (or the exception it raised) lands in the list."""
    results: list[Any] = [None] * len(attempts)

    def run(index: int, attempt: Callable[[], Any]) -> None:
        try:
            results[index] = attempt()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, attempt)) for i, attempt in enumerate(attempts)]
    for thread in threads:
        thread.start()
    return threads, results


def join(threads: list[threading.Thread]) -> None:
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()
