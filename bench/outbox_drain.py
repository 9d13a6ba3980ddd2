"""Graph outbox drain into FalkorDB (issue 5): N links' outbox rows (written by the
product's SQL, casework.entities.outbox.enqueue_link_ids) drained by linkanalysis.sync.drain
in UNWIND batches of 1,000, in links/s, with the time split between the graph write
(client encoding + FalkorDB) and the rest (PostgreSQL claim/mark, row decoding).
Baseline in the same run: a sample of the same links written one link per query (the same
upsert Cypher with a one-element rows list; graph write only, no outbox work), into a
fresh graph of its own, extrapolated to N.

Runs in its own database (casework_bench_drain, seeded once with seed_scale's generator,
no graph rows) and its own graphs (casework-bench-drain, …-single), emptied first.

    python bench/outbox_drain.py --links 100000 [--sample 5000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from common import git_rev, machine, use_bench_database

GRAPH = "casework-bench-drain"


def prepare(links: int) -> float:
    """A seed with at least `links` links (10 per case), PostgreSQL only; seconds spent."""
    from casework.demo import scale
    from casework.entities.models import Link

    if scale.existing() and Link.objects.count() >= links:
        return 0.0
    t = time.perf_counter()
    if scale.existing():
        scale.reset(lambda line: None)
    scale.seed(scale.Plan(cases=max(1, links // 10), links=links, graph=False,
                          member_cases=0), lambda line: print(line, flush=True))
    return time.perf_counter() - t


def fresh_graph(name: str) -> None:
    from django.conf import settings

    from linkanalysis import seeding
    from linkanalysis.graph import driver, repository

    settings.GRAPH_NAME = name
    driver.reset_engine()
    seeding.clear_graph(lambda line: None)
    repository.ensure_schema()


def run(links: int, sample: int, batch: int) -> dict:
    from django.db import connection

    from casework.core.models import GraphOutbox
    from casework.entities.outbox import enqueue_link_ids
    from linkanalysis import sync
    from linkanalysis.graph import repository

    seed_s = prepare(links)
    with connection.cursor() as cur:
        cur.execute("TRUNCATE core_graphoutbox")
        cur.execute("SELECT id FROM entities_link ORDER BY id LIMIT %s", [links])
        ids = [row[0] for row in cur.fetchall()]
    t = time.perf_counter()
    for start in range(0, len(ids), 50_000):
        enqueue_link_ids(ids[start:start + 50_000])
    enqueue_s = time.perf_counter() - t
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE core_graphoutbox")  # autocommit: outside a transaction
    sample_states = [row.state for row in GraphOutbox.objects.order_by("id")[:sample]]

    # batched: the product's drain
    fresh_graph(GRAPH)
    graph_s = 0.0
    upsert = repository.upsert_links

    def timed_upsert(states):
        nonlocal graph_s
        t0 = time.perf_counter()
        try:
            return upsert(states)
        finally:
            graph_s += time.perf_counter() - t0

    repository.upsert_links = timed_upsert
    try:
        t = time.perf_counter()
        result = sync.drain(max_batches=10**9, limit=batch)
        batched_s = time.perf_counter() - t
    finally:
        repository.upsert_links = upsert
    drawn = repository.counts().links
    assert result.links == links == drawn, (result, links, drawn)
    fresh_graph(GRAPH)  # emptied again: the next run starts the same way

    # baseline: one query per link, the same Cypher with a one-element rows list
    fresh_graph(GRAPH + "-single")
    t = time.perf_counter()
    for state in sample_states:
        repository.upsert_links([state])
    single_s = time.perf_counter() - t
    assert repository.counts().links == len(sample_states)
    fresh_graph(GRAPH + "-single")

    batched_rate = links / batched_s
    single_rate = len(sample_states) / single_s
    return {
        "bench": "outbox_drain", "machine": machine(), "rev": git_rev(),
        "links": links, "batch": batch, "sample": len(sample_states),
        "seed_seconds": round(seed_s, 1), "enqueue_seconds": round(enqueue_s, 2),
        "enqueue_rows_per_s": round(links / enqueue_s),
        "batched": {"seconds": round(batched_s, 2), "links_per_s": round(batched_rate),
                    "graph_write_seconds": round(graph_s, 2),
                    "graph_write_share": round(graph_s / batched_s, 3),
                    "postgres_and_python_seconds": round(batched_s - graph_s, 2)},
        "one_per_query": {"seconds": round(single_s, 2), "links_per_s": round(single_rate),
                          "extrapolated_seconds_for_all": round(links / single_rate, 1)},
        "ratio_batched_to_one_per_query": round(batched_rate / single_rate, 1),
        "aim_10000_links_per_s": batched_rate >= 10_000,
        "counts_as_result": links >= 100_000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    # this benchmark's own graph, whatever the environment names (devstack sets one per run)
    os.environ["GRAPH_NAME"] = GRAPH
    use_bench_database("casework_bench_drain")
    out = run(args.links, min(args.sample, args.links), args.batch)
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
