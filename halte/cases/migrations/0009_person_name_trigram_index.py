"""Name suggestions search fragments inside ``Person.name_key``: on PostgreSQL, the pg_trgm extension
and a GIN trigram index serve them (a btree cannot). SQLite keeps its plain scan."""

from django.db import migrations

INDEX = "person_name_key_trgm_idx"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("cases", "Person")._meta.db_table)
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (name_key gin_trgm_ops)")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_list_and_clock_indexes")]

    operations = [migrations.RunPython(create, drop)]
