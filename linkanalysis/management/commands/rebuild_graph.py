from django.core.management.base import BaseCommand, CommandError

from linkanalysis.rebuild import rebuild


class Command(BaseCommand):
    help = "Rebuild the graph from PostgreSQL and report counts on both sides."

    def handle(self, *args, **options):
        report = rebuild()
        self.stdout.write(
            f"PostgreSQL: {report.postgres_links} links, {report.postgres_involvements} "
            f"entities in cases; graph: {report.graph.links} links, "
            f"{report.graph.involvements} involvements, {report.graph.entities} entities")
        if not report.matches:
            raise CommandError("the graph does not match PostgreSQL")
        self.stdout.write("graph matches PostgreSQL")
