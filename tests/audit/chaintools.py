"""Helpers of the journal's tests: seal rows inside a test transaction, and tamper as an attacker with
the database owner's rights would (past every trigger)."""

from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.db import connection


def seal_now() -> None:
    """On PostgreSQL the chain trigger runs at COMMIT; a test never commits, so ask for it now and for
    every later row of the test (SET CONSTRAINTS ... IMMEDIATE lasts until the end of the transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@contextmanager
def past_the_triggers():
    """What the table's owner or a superuser can do: on PostgreSQL, triggers off for the session."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        try:
            yield cursor
        finally:
            if connection.vendor == "postgresql":
                cursor.execute("SET session_replication_role = DEFAULT")


def run_verify(*args) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_journal", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()
