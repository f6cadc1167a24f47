"""Send every notification that was missed (e.g. while the broker was down)."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from schoolconduct.outbox import notifications_sweep


class Command(BaseCommand):
    help = "Send unsent notification emails older than a few minutes (the sweep)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", help="Include ones created in the last few minutes."
        )

    def handle(self, *args, **options):
        older = timedelta(0) if options["all"] else None
        sent = notifications_sweep(older_than=older)
        self.stdout.write(f"Sent {sent} notification(s).")
