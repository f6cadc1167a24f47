from django.core.management.base import BaseCommand
from django.utils import timezone

from records import services


class Command(BaseCommand):
    help = "Propose the closed cases due for retention review (an administrator confirms)."

    def handle(self, *args, **options) -> None:
        waiting = services.proposals_make(today=timezone.localdate())
        self.stdout.write(f"{waiting} case(s) due for disposal review.")
