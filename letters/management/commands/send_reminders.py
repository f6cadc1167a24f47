"""The daily deadline job, by hand (for schools without a Celery worker)."""

from django.core.management.base import BaseCommand

from incidents.deadlines import reminders_send
from letters.deadlines import letter_reminders_send


class Command(BaseCommand):
    help = "Expire finished bars and send every deadline reminder due today (each goes once)."

    def handle(self, *args, **options):
        sent = reminders_send() + letter_reminders_send()
        self.stdout.write(f"Sent {sent} reminder(s).")
