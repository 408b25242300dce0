"""After a restore into a database whose default privileges open every new table to the application
role, the journal's protections are put back: no role but the owner may change the chain."""

import uuid

import pytest
from django.db import connection

from halte.audit import protection

pytestmark = pytest.mark.django_db


@pytest.fixture
def app_role():
    if connection.vendor != "postgresql":
        pytest.skip("table privileges: PostgreSQL")
    name = f"t_app_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {name}")
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {name}")
        cursor.execute(f"DROP ROLE {name}")


def can(role: str, table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [role, table, privilege])
        return cursor.fetchone()[0]


def test_default_privileges_that_opened_the_journal_are_taken_back(app_role):
    with connection.cursor() as cursor:  # what ALTER DEFAULT PRIVILEGES gave the tables pg_restore created
        for table in protection.FORBIDDEN:
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {table} TO {app_role}")
    assert can(app_role, "audit_chainlink", "INSERT")
    revoked = protection.reapply()
    assert {(table, privilege) for table, role, privilege in revoked if role == app_role} == {
        (table, privilege) for table, privileges in protection.FORBIDDEN.items() for privilege in privileges
    }
    for table, privileges in protection.FORBIDDEN.items():
        for privilege in privileges:
            assert not can(app_role, table, privilege), (table, privilege)
        assert can(app_role, table, "SELECT")
    assert can(app_role, "audit_auditevent", "INSERT")  # the application still writes the journal
    assert protection.reapply() == []  # nothing left to take back
