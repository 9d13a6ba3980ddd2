"""seed_scale: synthetic data at scale for benchmarks, then its graph projection.

    python manage.py seed_scale --cases 100000 --links 1000000 [--assignments N] [--seed N]
                                [--no-graph]
    python manage.py seed_scale --reset [--cases 0]     remove a seed (and seed again)
    python manage.py seed_scale --graph-only             project an existing seed again
"""

from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError

from casework.demo import scale
from linkanalysis import rebuild, seeding


class Command(BaseCommand):
    help = ("Seed synthetic cases, entities and links at scale (set-based SQL) for the "
            "benchmarks, then drain their graph outbox rows into the graph.")

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=100_000,
                            help="cases numbered SCALE-0000001… (default 100,000)")
        parser.add_argument("--links", type=int, default=None,
                            help="entity links in all (default 10 per case; "
                                 f"1 to {scale.MAX_LINKS_PER_CASE} per case)")
        parser.add_argument("--assignments", type=int, default=None,
                            help="capture assignments in all (default "
                                 f"{scale.ASSIGNMENTS_PER_CASE} per case: 1,000,000 for "
                                 "100,000 cases; 0: none)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--graph", action=argparse.BooleanOptionalAction, default=True,
                            help="write graph outbox rows and drain them (default); "
                                 "--no-graph: PostgreSQL only")
        parser.add_argument("--member-cases", type=int, default=100,
                            help=f"seeded cases {scale.BENCH_USER} is a member of")
        parser.add_argument("--reset", action="store_true",
                            help="remove an earlier seed first (--cases 0: only remove)")
        parser.add_argument("--graph-only", action="store_true",
                            help="project an existing seed into the graph again")

    def say(self, line: str) -> None:
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, **options):
        started = time.perf_counter()
        if options["graph_only"]:
            if not scale.existing():
                raise CommandError("nothing seeded: no case numbered SCALE-… exists")
            self.say("graph outbox rows of the seeded links and involvements:")
            scale.enqueue_graph(self.say)
            self.drain()
            return
        if options["reset"]:
            self.say(f"removing {scale.existing():,} seeded cases and what hangs from them:")
            scale.reset(self.say)
            if options["graph"]:
                self.say("rebuilding the graph from what remains in PostgreSQL …")
                t = time.perf_counter()
                seeding.clear_graph(self.say)  # in slices: rebuild empties it in one go
                report = rebuild.rebuild()
                self.say(f"  graph: {report.graph.links:,} links, "
                         f"{report.graph.involvements:,} involvements "
                         f"({time.perf_counter() - t:.1f} s)")
            if options["cases"] == 0:
                return
        cases = options["cases"]
        plan = scale.Plan(cases=cases, links=options["links"] or 10 * cases,
                          seed=options["seed"], graph=options["graph"],
                          member_cases=min(options["member_cases"], cases),
                          assignments=options["assignments"])
        try:
            plan.check()
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.say(f"seeding {plan.cases:,} cases, {plan.links:,} links and "
                 f"{plan.n_assignments:,} assignments (seed {plan.seed}) in one transaction:")
        try:
            report = scale.seed(plan, self.say)
        except scale.AlreadySeeded as exc:
            raise CommandError(str(exc)) from None
        self.say(f"PostgreSQL: {report.seconds:.1f} s")
        if plan.graph:
            self.drain()
        else:
            self.say("no graph rows written (--no-graph): `seed_scale --graph-only` or "
                     "`rebuild_graph` projects the seed later")
        self.say(f"done in {time.perf_counter() - started:.1f} s")

    def drain(self) -> None:
        """Drain the outbox (the product's sync, batches of 1,000) with progress lines."""
        done = seeding.drain_all(self.say)
        self.say(f"  graph drain: {done.rows:,} rows ({done.links:,} links, "
                 f"{done.involvements:,} involvements) in {done.seconds:.1f} s, "
                 f"{done.rate:,.0f} rows/s")
        self.say(f"  graph: {done.graph.entities:,} entities, {done.graph.links:,} links, "
                 f"{done.graph.involvements:,} involvements; PostgreSQL: "
                 f"{done.postgres_links:,} links, {done.postgres_involvements:,} entities "
                 "in cases")
        if not done.matches:
            self.stderr.write("  the graph does not match PostgreSQL "
                              "(other rows pending, or a graph shared with other data)")
