"""On PostgreSQL, the database itself refuses UPDATE and DELETE on the chronology and the
access log, so not even raw SQL from the app can rewrite history. (SQLite, the development
default, relies on the model and queryset guards.)"""

from django.db import migrations

TABLES = ["incidents_caseevent", "incidents_accesslog"]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION schoolconduct_append_only() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,  # no placeholder parsing: the % above is PL/pgSQL's
    )
    for table in TABLES:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION schoolconduct_append_only();"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS schoolconduct_append_only();")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0002_case_management")]
    operations = [migrations.RunPython(create, drop)]
