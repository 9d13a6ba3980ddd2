"""python manage.py verify_custody --case NUMBER: check every custody chain and file hash
of a room; exit status 1 if anything does not verify."""

import sys

from django.core.management.base import BaseCommand, CommandError

from casework.evidence import custody
from casework.evidence.models import EvidenceItem
from casework.rooms.models import Case


class Command(BaseCommand):
    help = "Verify the custody chains and file hashes of a case room's evidence."

    def add_arguments(self, parser):
        parser.add_argument("--case", required=True, help="the case number")

    def handle(self, *args, case, **options):
        found = Case.objects.filter(number=case).first()
        if found is None:
            raise CommandError(f"no case numbered {case!r}")
        reports = [custody.verify_item(item) for item in
                   EvidenceItem.objects.filter(case=found).order_by("id")]
        bad = [r for r in reports if not r.ok]
        for report in bad:
            for problem in report.problems:
                self.stdout.write(f"evidence {report.evidence_id}: {problem}")
        if bad:
            self.stdout.write(f"{len(reports)} items, {len(bad)} do not verify")
            sys.exit(1)
        self.stdout.write(f"{len(reports)} items, all chains intact")
