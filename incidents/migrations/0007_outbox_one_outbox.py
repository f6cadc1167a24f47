"""Notifications and deadline reminders move into the one outbox (schoolconduct.Notification).

Every row is copied, sent or not, so nothing is sent twice and nothing waiting is lost.
"""

from django.db import migrations

# Who each deadline kind reminds (as incidents.deadlines and letters.deadlines say).
REMINDED = {
    "triage": ["head"],
    "dsl_decision": ["dsl", "head"],
    "lado": ["head", "dsl"],
    "bar_decision": ["lead", "head"],
    "bar_review": ["lead", "head"],
    "bar_ending": ["lead"],
    "restriction_review": ["lead", "head"],
    "letter_not_sent": ["lead"],
}


def copy_to_outbox(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Outbox = apps.get_model("schoolconduct", "Notification")
    OldNotification = apps.get_model("incidents", "Notification")
    Reminder = apps.get_model("incidents", "Reminder")
    case_type, _ = ContentType.objects.get_or_create(app_label="incidents", model="case")
    rows = []
    for old in OldNotification.objects.all().iterator():
        rows.append(
            Outbox(
                kind=old.kind,
                dedupe_key=f"{old.kind}:migrated:{old.pk}",
                target_type=case_type,
                target_id=old.case_id,
                params={"report": old.report_id} if old.report_id else {},
                created_at=old.created_at,
                claimed_at=old.claimed_at,
                sent_at=old.sent_at,
                attempts=old.attempts,
                last_error=old.last_error,
            )
        )
    for old in Reminder.objects.exclude(case_id=None).iterator():
        recipients = [r for r in old.recipients.split(", ") if r]
        rows.append(
            Outbox(
                kind="deadline_reminder",
                dedupe_key=f"reminder:{old.kind}:{old.key}:{old.due_on.isoformat()}",
                target_type=case_type,
                target_id=old.case_id,
                params={
                    "deadline": old.kind,
                    "due_on": old.due_on.isoformat(),
                    "to": REMINDED.get(old.kind, ["lead"]),
                },
                created_at=old.created_at,
                sent_at=old.sent_at,
                recipient_count=len(recipients),
            )
        )
    Outbox.objects.bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("incidents", "0006_conf_wording"),
        ("schoolconduct", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_to_outbox, migrations.RunPython.noop),
        migrations.DeleteModel(name="Notification"),
        migrations.DeleteModel(name="Reminder"),
    ]
