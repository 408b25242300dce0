"""The journal's table privileges, put back after a restore.

The deployment's two roles (docs/deploy.md, § 4) give the application role SELECT and INSERT on
the journal, and nothing that changes or removes a row, nor any write on the hash chain and the
record of dropped months. A restore loads the tables as the owner role: in a database prepared with
``ALTER DEFAULT PRIVILEGES … GRANT SELECT, INSERT, UPDATE, DELETE``, the tables it creates get those
default rights before the dump's own grants are applied, and the application role could write the
chain again. :func:`reapply` takes every such right back from every role but the tables' owner.
"""

from django.db import connection

# Table → what no role but its owner may do on it.
FORBIDDEN = {
    "audit_auditevent": ("UPDATE", "DELETE", "TRUNCATE"),
    "audit_chainlink": ("INSERT", "UPDATE", "DELETE", "TRUNCATE"),
    "audit_droppedmonth": ("INSERT", "UPDATE", "DELETE", "TRUNCATE"),
}


def reapply() -> list[tuple[str, str, str]]:
    """Revoke the forbidden rights on the journal's tables (PostgreSQL); return what was revoked
    as (table, role, privilege)."""
    if connection.vendor != "postgresql":
        return []
    revoked = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,"
            " a.privilege_type"
            " FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)"
            " AND a.grantee <> c.relowner",
            [list(FORBIDDEN)],
        )
        for table, grantee, privilege in cursor.fetchall():
            if privilege in FORBIDDEN[table]:
                # Names come from the catalogue (quote_ident) and the fixed table above, never from input.
                cursor.execute(f"REVOKE {privilege} ON {table} FROM {grantee}")
                revoked.append((table, grantee, privilege))
    return revoked
