"""The benchmark's own PostgreSQL database: created fresh for a run (or reused), dropped after it."""

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def prepare_database(url: str, name: str, *, reuse: bool) -> bool:
    """Create the database; with `reuse`, keep it when it exists. True when it was created empty."""
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
