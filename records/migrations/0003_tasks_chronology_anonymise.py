"""On PostgreSQL the chronology's trigger lets one change through: disposal's anonymisation
(records.anonymise.chronology_words_clear), which sets the transaction-local
`schoolconduct.anonymising` and may then replace a line's words — its summary, rationale and
data — but never its case, kind, actor, time or status change. Every other UPDATE, and every
DELETE, is refused as before (docs/decisions.md, "Anonymising the chronology")."""

from django.db import migrations

TABLE = "incidents_caseevent"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        CREATE OR REPLACE FUNCTION schoolconduct_chronology_guard() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE'
               AND current_setting('schoolconduct.anonymising', true) = 'on'
               AND NEW.id = OLD.id
               AND NEW.case_id = OLD.case_id
               AND NEW.kind = OLD.kind
               AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id
               AND NEW.created_at = OLD.created_at
               AND NEW.from_status = OLD.from_status
               AND NEW.to_status = OLD.to_status THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END;
        $$ LANGUAGE plpgsql;
        """,
        params=None,  # no placeholder parsing: the % above is PL/pgSQL's
    )
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION schoolconduct_chronology_guard();"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION schoolconduct_append_only();"
    )
    schema_editor.execute("DROP FUNCTION IF EXISTS schoolconduct_chronology_guard();")


class Migration(migrations.Migration):
    dependencies = [("records", "0002_disposal_log_append_only")]
    operations = [migrations.RunPython(create, drop)]
