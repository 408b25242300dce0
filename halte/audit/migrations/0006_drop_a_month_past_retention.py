"""The one way a part of the journal may leave the database: a whole month past its retention.

PostgreSQL:
- `halte_audit_drop_month(first_day)` (SECURITY DEFINER, owner's rights, fixed search path) deletes
  every row whose chain link falls in that month (UTC days), and refuses unless: `first_day` is the
  first day of a month; the whole month ended at least a year ago (the floor is written here, not
  passed in: `months.RETENTION`); a chained `audit.month_dropping` row of the journal already states how many rows the
  month holds and the count still matches (the checkpoint of the month's days is in the journal before
  anything goes). It writes `audit_droppedmonth` with its own transaction id first.
- `halte_audit_refuse()` still refuses every UPDATE, every TRUNCATE, and every DELETE except, in the
  transaction that wrote an `audit_droppedmonth` row (its transaction id), a link of that month and a
  row whose link is already gone (the function deletes the month's links, then their rows): a single
  row, a row of another month, or a row outside that function stays impossible to delete. The application's role
  may not write `audit_droppedmonth` itself (README, "Base de données").
"""

from django.db import migrations

POSTGRESQL = """
CREATE OR REPLACE FUNCTION {schema}.halte_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_day date;
BEGIN
    IF TG_OP = 'DELETE' AND TG_LEVEL = 'ROW' THEN
        IF TG_TABLE_NAME = 'audit_chainlink' THEN
            IF EXISTS (
                SELECT 1 FROM {schema}.audit_droppedmonth AS dropped
                WHERE dropped.txid = txid_current()
                  AND OLD.day >= dropped.month AND OLD.day < (dropped.month + interval '1 month')::date
            ) THEN
                RETURN OLD;
            END IF;
        -- A row goes after its link (the drop function deletes the month's links first), in that
        -- transaction only.
        ELSIF NOT EXISTS (SELECT 1 FROM {schema}.audit_chainlink AS link WHERE link.event_id = OLD.id)
              AND EXISTS (SELECT 1 FROM {schema}.audit_droppedmonth AS dropped WHERE dropped.txid = txid_current())
        THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION {schema}.halte_audit_drop_month(first_day date) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    next_month date := (first_day + interval '1 month')::date;
    stated bigint;
    actual bigint;
    removed bigint;
    ids bigint[];
BEGIN
    IF first_day IS NULL OR first_day <> date_trunc('month', first_day)::date THEN
        RAISE EXCEPTION 'not the first day of a month: %', first_day;
    END IF;
    IF next_month > ((clock_timestamp() AT TIME ZONE 'UTC')::date - interval '1 year')::date THEN
        RAISE EXCEPTION 'the journal of % is still within its retention', to_char(first_day, 'YYYY-MM')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT (event.detail->>'rows')::bigint INTO stated
        FROM {schema}.audit_auditevent AS event
        JOIN {schema}.audit_chainlink AS link ON link.event_id = event.id
        WHERE event.action = 'audit.month_dropping' AND event.detail->>'month' = to_char(first_day, 'YYYY-MM')
          AND (link.day < first_day OR link.day >= next_month)
        ORDER BY event.id DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no checkpoint of % in the journal', to_char(first_day, 'YYYY-MM')
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT count(*) INTO actual FROM {schema}.audit_chainlink AS link
        WHERE link.day >= first_day AND link.day < next_month;
    IF actual <> stated THEN
        RAISE EXCEPTION 'the journal of % holds % rows, its checkpoint says %', to_char(first_day, 'YYYY-MM'),
            actual, stated USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO {schema}.audit_droppedmonth (month, txid, rows, dropped_at)
        VALUES (first_day, txid_current(), actual, clock_timestamp());
    SELECT array_agg(link.event_id) INTO ids FROM {schema}.audit_chainlink AS link
        WHERE link.day >= first_day AND link.day < next_month;
    DELETE FROM {schema}.audit_chainlink AS link WHERE link.day >= first_day AND link.day < next_month;
    DELETE FROM {schema}.audit_auditevent AS event WHERE event.id = ANY(ids);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;
"""

POSTGRESQL_REVERSE = """
DROP FUNCTION {schema}.halte_audit_drop_month(date);
CREATE OR REPLACE FUNCTION {schema}.halte_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit journal is append-only: % refused on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _run(schema_editor, template: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT quote_ident(current_schema())")
        schema = cursor.fetchone()[0]
        cursor.execute(template.format(schema=schema))


def install(apps, schema_editor):
    _run(schema_editor, POSTGRESQL)


def uninstall(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_dropped_months_of_the_journal")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
