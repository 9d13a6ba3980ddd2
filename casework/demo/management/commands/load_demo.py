from django.core.management.base import BaseCommand

from casework.demo import scenario


class Command(BaseCommand):
    help = "Load or complete the '12.4 Pinghe Theft' demo scenario (idempotent)."

    def handle(self, *args, **options):
        counts = scenario.load()
        summary = ", ".join(f"{v} {k}" for k, v in counts.items())
        self.stdout.write(f"demo scenario ready: {summary}")
