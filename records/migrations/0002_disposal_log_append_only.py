"""On PostgreSQL the database refuses UPDATE and DELETE on the disposal log too (the trigger
function comes from incidents 0003)."""

from django.db import migrations

TABLE = "records_disposallog"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION schoolconduct_append_only();"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial"), ("incidents", "0003_append_only_triggers")]
    operations = [migrations.RunPython(create, drop)]
