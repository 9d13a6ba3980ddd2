from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from casework.demo import policeuk


class Command(BaseCommand):
    help = ("Import police.uk street crimes and their 'Suspect charged' outcomes as cases and "
            "arrests (all or nothing; a second run adds nothing).")

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path,
                            help="folder of *-street.csv and *-outcomes.csv files")

    def handle(self, *args, folder: Path, **options):
        report = policeuk.load(folder)
        if report.errors:
            for error in report.errors:
                self.stderr.write(error)
            raise CommandError(f"nothing imported: {len(report.errors)} bad row(s)")
        self.stdout.write(f"{report.crimes:,} crimes imported as cases ({report.skipped:,} "
                          f"already there), {report.charged:,} of them charged, "
                          f"{report.arrests:,} charges recorded as arrests")
