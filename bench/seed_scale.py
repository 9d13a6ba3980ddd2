"""Seeding link-analysis data at scale (issue 5): `seed_scale`'s generator (set-based SQL in
one transaction: cases, evidence, custody, entities, entities in cases, links, graph outbox
rows through the product's SQL) and the product's drain into the graph, timed per step.
Baseline in the same run: the same number of link rows written into a plain table with one
INSERT … SELECT generate_series (no indexes, no foreign keys, no outbox) — the floor.

Runs in its own database (casework_scale, as bench/graph_queries.py) and the graph that
GRAPH_NAME names (casework-bench when unset; `casework.devstack run` sets one per run, so
run the query benchmark in the same `devstack run`). A previous seed there is removed
first; the new one is left in place for the link-analysis query benchmark.

    python bench/seed_scale.py --cases 100000 --links 1000000 [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from common import git_rev, machine, use_bench_database

SCALE_DB = "casework_scale"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--links", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=SCALE_DB)
    args = parser.parse_args()
    os.environ.setdefault("GRAPH_NAME", "casework-bench")
    use_bench_database(args.database)
    from django.db import connection

    from casework.demo import scale
    from linkanalysis import seeding

    def say(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    reset_s = 0.0
    if scale.existing():
        t = time.perf_counter()
        scale.reset(say)
        reset_s = time.perf_counter() - t
    t = time.perf_counter()
    seeding.clear_graph(say)  # the bench graph holds only the seed
    clear_s = time.perf_counter() - t
    say(f"bench graph emptied in {clear_s:.1f} s")

    report = scale.seed(scale.Plan(cases=args.cases, links=args.links, seed=args.seed), say)
    projection = seeding.drain_all(say)
    total = time.perf_counter() - started - reset_s - clear_s

    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE floor_links (case_id bigint, kind text, source_id bigint,"
                    " target_id bigint, evidence_id bigint, count int, first_seen timestamptz,"
                    " last_seen timestamptz, attributes jsonb, version int,"
                    " created_at timestamptz, updated_at timestamptz)")
        t = time.perf_counter()
        cur.execute("INSERT INTO floor_links SELECT g / 10, 'CALLED', g, g + 1, g / 10, 1, now(),"
                    " now(), '{}', 1, now(), now() FROM generate_series(1, %s) AS g",
                    [args.links])
        floor_s = time.perf_counter() - t
        cur.execute("DROP TABLE floor_links")
    steps = {s.name: {"rows": s.rows, "seconds": round(s.seconds, 1)} for s in report.steps}
    links_s = next(s.seconds for s in report.steps if s.name == "links")
    from django.conf import settings

    out = {
        "bench": "seed_scale", "machine": machine(), "rev": git_rev(),
        "database": args.database, "graph": settings.GRAPH_NAME,
        "cases": args.cases, "links": args.links, "seed": args.seed,
        "previous_seed_removed_seconds": round(reset_s, 1),
        "steps": steps,
        "postgres_seconds": round(report.seconds, 1),
        "graph_drain": {"rows": projection.rows, "links": projection.links,
                        "involvements": projection.involvements,
                        "seconds": round(projection.seconds, 1),
                        "rows_per_s": round(projection.rate),
                        "graph_matches_postgres": projection.matches},
        "total_seconds": round(total, 1),
        "floor_link_insert_seconds": round(floor_s, 2),
        "links_step_to_floor": round(links_s / floor_s, 1),
        "aim_under_15_minutes": total < 900,
        "counts_as_result": args.cases >= 100_000 and args.links >= 1_000_000,
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
