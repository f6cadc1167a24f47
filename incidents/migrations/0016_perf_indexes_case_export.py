"""Indexes for the staff list at 100,000 cases: its order per school and trust-wide, a
period's reports per school (statistics), and
trigram indexes for the name and text search (PostgreSQL only; SQLite scans instead).
And CaseExport: large CSVs of the list, built by a task."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

import incidents.models

# Django's icontains on PostgreSQL is `UPPER(col::text) LIKE UPPER('%value%')`: the trigram
# index must be on that same expression for the planner to use it.
TRIGRAM_INDEXES = {
    "case_reference_trgm": ("incidents_case", "reference"),
    "report_content_trgm": ("incidents_report", "content"),
    "report_poster_trgm": ("incidents_report", "poster_description"),
    "person_name_trgm": ("incidents_person", "full_name"),
    # The search's reporter rule looks for the typed words in the reporter's details.
    "report_reporter_name_trgm": ("incidents_report", "reporter_name"),
    "report_reporter_email_trgm": ("incidents_report", "reporter_email"),
    "report_reporter_phone_trgm": ("incidents_report", "reporter_phone"),
}


class TrigramExtensionOnPostgres(TrigramExtension):
    """pg_trgm on PostgreSQL; nothing elsewhere, in both directions (Django's operation checks
    the database only going forwards)."""

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in TRIGRAM_INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0015_casefile_kinds'),
        ('schools', '0004_proc_representation_floor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseExport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('query', models.CharField(blank=True, help_text="The list's filters.", max_length=2000)),
                ('school_ids', models.JSONField(blank=True, default=list)),
                ('status', models.CharField(choices=[('queued', 'Waiting to start'), ('running', 'Being built'), ('ready', 'Ready to download'), ('failed', 'Failed')], default='queued', max_length=10)),
                ('rows_total', models.PositiveIntegerField(blank=True, null=True)),
                ('rows_done', models.PositiveIntegerField(default=0)),
                ('file', models.FileField(blank=True, storage=incidents.models.private_storage, upload_to='exports/')),
                ('error', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['school', '-opened_at', '-id'], name='case_school_opened'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['-opened_at', '-id'], name='case_opened'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['lead', '-opened_at'], name='case_lead_opened'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('safeguarding_decided_at__isnull', True), ('safeguarding_flag', True)), fields=['opened_at'], name='case_awaiting_dsl'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('lado_due__isnull', False)), fields=['lado_due'], name='case_lado_due'),
        ),
        migrations.AddIndex(
            model_name='report',
            index=models.Index(fields=['school', 'received_at'], name='report_school_received'),
        ),
        migrations.AddField(
            model_name='caseexport',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='case_exports', to=settings.AUTH_USER_MODEL),
        ),
        TrigramExtensionOnPostgres(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
