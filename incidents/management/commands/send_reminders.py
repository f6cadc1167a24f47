"""The daily deadline job, by hand (for schools without Celery beat)."""

from django.core.management.base import BaseCommand

from incidents.deadlines import reminders_send


class Command(BaseCommand):
    help = (
        "Run each app's daily housekeeping (bars whose term ended) and put every deadline "
        "reminder due today in the outbox (each goes once)."
    )

    def handle(self, *args, **options):
        queued = reminders_send()
        self.stdout.write(f"Queued {queued} reminder(s).")
