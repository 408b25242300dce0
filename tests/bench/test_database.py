"""The benchmark's own database: created, reused on demand, copied from a template, dropped."""

import os

import psycopg
import pytest
from django.conf import settings

from halte.bench.database import drop_database, prepare_database


@pytest.fixture
def server():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the benchmark measures PostgreSQL: run with DATABASE_URL=postgres://…")
    base = f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
    names = []

    def url(suffix: str) -> tuple[str, str]:
        name = f"halte_bench_test_{suffix}_{os.getpid()}"
        names.append(name)
        return f"{base}/{name}", name

    yield url
    for name in names:
        drop_database(f"{base}/{name}", name)


def _exists(url: str, name: str) -> bool:
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres") as connection:
        return connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_a_run_starts_from_an_empty_database_unless_told_to_reuse(server):
    url, name = server("reuse")
    assert prepare_database(url, name, reuse=False) is True
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE bench_meta (cases integer)")
    assert prepare_database(url, name, reuse=True) is False  # kept as it is
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is not None
    assert prepare_database(url, name, reuse=False) is True  # dropped and created again
    with psycopg.connect(url) as connection:
        assert connection.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None
    drop_database(url, name)
    assert not _exists(url, name)


def test_a_template_someone_is_connected_to_still_gives_a_database(server):
    template_url, template = server("template")
    url, name = server("copy")
    prepare_database(template_url, template, reuse=False)
    with psycopg.connect(template_url):  # a session on the template forbids copying it
        assert prepare_database(url, name, reuse=False, template=template) is True
    assert _exists(url, name)
