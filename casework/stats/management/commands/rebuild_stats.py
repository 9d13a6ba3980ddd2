"""Recompute every statistics fact row from the operational tables."""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from casework.stats import facts


class Command(BaseCommand):
    help = "Recompute the statistics' fact tables from cases, arrests and assignments."

    def handle(self, *args, **options):
        t = time.perf_counter()
        with transaction.atomic():
            done = facts.rebuild()
        self.stdout.write(f"statistics rebuilt: {done['cases']:,} cases, "
                          f"{done['assignments']:,} assignments, "
                          f"{done['unit_days']:,} unit-days in "
                          f"{time.perf_counter() - t:.1f} s")
