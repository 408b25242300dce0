"""The benchmark's own PostgreSQL database: created fresh for a run (or reused), dropped after it."""

from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql


def _maintenance_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def prepare_database(url: str, name: str, *, reuse: bool, template: str | None = None) -> bool:
    """Create the database (a copy of `template`, an empty database already migrated, when given); with
    `reuse`, keep it when it exists. True when it was created without data."""
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reuse:
            return False
        if exists:
            connection.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            try:
                connection.execute(
                    sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(template))
                )
                return True
            except psycopg.errors.ObjectInUse:
                pass  # someone is connected to the template: migrate a new database instead
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url: str, name: str) -> None:
    with psycopg.connect(_maintenance_url(url), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
