"""The database's own guards on the journal, and the trigger that chains each new row.

PostgreSQL:
- `halte_audit_refuse()` refuses UPDATE and DELETE (row triggers) and TRUNCATE (statement triggers) on
  both tables. It replaces django-pgtrigger's `Protect`, whose triggers obey the session setting
  `pgtrigger.ignore`: any role could switch them off with one SET.
- `halte_audit_chain()` links each new row at COMMIT (a deferred constraint trigger), under a
  transaction-scoped advisory lock, so the lock lasts only as long as the commit and two transactions
  never fork a day's chain; the unique (day, seq) constraint would refuse a fork anyway. It runs with
  its owner's rights (SECURITY DEFINER, fixed search_path): the application's role needs no right on
  the chain's table beyond SELECT.

SQLite (one writer at a time): an ordinary AFTER INSERT trigger does the same with the two functions
Halte registers on each connection (`chain.register_sqlite_functions`). No UPDATE/DELETE guards there:
SQLite is the embedded development database.
"""

import pgtrigger.migrations
from django.db import migrations

from halte.audit import chain

POSTGRESQL = """
CREATE FUNCTION {schema}.halte_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION {schema}.halte_audit_chain() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    chain_day date;
    head_seq bigint;
    head_hash text;
BEGIN
    IF NEW.digest IS NULL OR NEW.digest !~ '^[0-9a-f]{{64}}$' THEN
        RAISE EXCEPTION 'audit row % has no digest', NEW.id;
    END IF;
    PERFORM pg_advisory_xact_lock({lock_class}, {lock_object});
    -- The day is read under the lock: whoever appends after us reads the same day or a later one.
    chain_day := (clock_timestamp() AT TIME ZONE 'UTC')::date;
    SELECT link.seq, link.hash INTO head_seq, head_hash
        FROM {schema}.audit_chainlink AS link WHERE link.day = chain_day ORDER BY link.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        head_seq := 0;
        head_hash := encode(sha256(convert_to('{genesis_prefix}' || to_char(chain_day, 'YYYY-MM-DD'), 'UTF8')), 'hex');
    END IF;
    INSERT INTO {schema}.audit_chainlink (event_id, day, seq, hash) VALUES (
        NEW.id,
        chain_day,
        head_seq + 1,
        encode(sha256(decode(head_hash, 'hex') || decode(NEW.digest, 'hex') || convert_to(NEW.id::text, 'UTF8')), 'hex')
    );
    RETURN NULL;
END
$$;

CREATE TRIGGER halte_audit_append_only BEFORE UPDATE OR DELETE ON {schema}.audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION {schema}.halte_audit_refuse();
CREATE TRIGGER halte_audit_no_truncate BEFORE TRUNCATE ON {schema}.audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.halte_audit_refuse();
CREATE TRIGGER halte_audit_append_only BEFORE UPDATE OR DELETE ON {schema}.audit_chainlink
    FOR EACH ROW EXECUTE FUNCTION {schema}.halte_audit_refuse();
CREATE TRIGGER halte_audit_no_truncate BEFORE TRUNCATE ON {schema}.audit_chainlink
    FOR EACH STATEMENT EXECUTE FUNCTION {schema}.halte_audit_refuse();
CREATE CONSTRAINT TRIGGER halte_audit_chain AFTER INSERT ON {schema}.audit_auditevent
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {schema}.halte_audit_chain();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER halte_audit_chain ON {schema}.audit_auditevent;
DROP TRIGGER halte_audit_no_truncate ON {schema}.audit_chainlink;
DROP TRIGGER halte_audit_append_only ON {schema}.audit_chainlink;
DROP TRIGGER halte_audit_no_truncate ON {schema}.audit_auditevent;
DROP TRIGGER halte_audit_append_only ON {schema}.audit_auditevent;
DROP FUNCTION {schema}.halte_audit_chain();
DROP FUNCTION {schema}.halte_audit_refuse();
"""

SQLITE = """
CREATE TRIGGER halte_audit_chain AFTER INSERT ON audit_auditevent
BEGIN
    SELECT RAISE(ABORT, 'audit row has no digest') WHERE length(NEW.digest) IS NOT 64;
    INSERT INTO audit_chainlink (event_id, day, seq, hash)
    SELECT NEW.id, today.day, COALESCE(head.seq, 0) + 1,
           halte_chain_step(COALESCE(head.hash, halte_chain_genesis(today.day)), NEW.digest, NEW.id)
    FROM (SELECT date('now') AS day) AS today
    LEFT JOIN (
        SELECT seq, hash FROM audit_chainlink WHERE day = date('now') ORDER BY seq DESC LIMIT 1
    ) AS head ON 1;
END;
"""

SQLITE_REVERSE = "DROP TRIGGER halte_audit_chain;"


def _postgresql(schema_editor, template: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        cursor.execute(
            template.format(
                schema=schema,
                lock_class=chain.CHAIN_LOCK_CLASS,
                lock_object=chain.CHAIN_LOCK_OBJECT,
                genesis_prefix=chain.GENESIS_PREFIX,
            )
        )


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _postgresql(schema_editor, POSTGRESQL)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _postgresql(schema_editor, POSTGRESQL_REVERSE)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_existing_rows")]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name="auditevent", name="audit_append_only"),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
