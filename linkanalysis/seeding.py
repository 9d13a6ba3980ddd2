"""The graph side of `seed_scale`: drain the outbox a seed wrote, with progress lines, and
compare both sides' counts. (The seed itself is casework.demo.scale: casework never
imports linkanalysis.)"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from casework.core.outbox import lag
from casework.entities.models import CaseEntity, Link
from linkanalysis import sync
from linkanalysis.graph import queries, repository
from linkanalysis.graph.driver import get_engine

BATCHES_PER_LINE = 25  # batches of 1,000 rows between progress lines


@dataclass(frozen=True)
class Projection:
    rows: int
    links: int
    involvements: int
    seconds: float
    graph: repository.GraphCounts
    postgres_links: int
    postgres_involvements: int

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0

    @property
    def matches(self) -> bool:
        return (self.graph.links, self.graph.involvements) == (self.postgres_links,
                                                                self.postgres_involvements)


def drain_all(progress: Callable[[str], None] = print, limit: int = 1000) -> Projection:
    """Drain every pending outbox row with the product's sync (batches of `limit`)."""
    pending = lag()[0]
    progress(f"draining {pending:,} outbox rows into the graph:")
    t = time.perf_counter()
    rows = links = involvements = 0
    while True:
        result = sync.drain(max_batches=BATCHES_PER_LINE, limit=limit)
        rows += result.rows
        links += result.links
        involvements += result.involvements
        elapsed = time.perf_counter() - t
        progress(f"    {rows:>10,}/{pending:,} rows  {elapsed:7.1f} s  "
                 f"{rows / elapsed if elapsed else 0:>8,.0f} rows/s")
        if result.rows < BATCHES_PER_LINE * limit:
            break
    seconds = time.perf_counter() - t
    return Projection(rows, links, involvements, seconds, repository.counts(),
                      Link.objects.count(), CaseEntity.objects.count())


def clear_graph(progress: Callable[[str], None] = print, slice_nodes: int = 50_000) -> int:
    """Empty the graph in slices of `slice_nodes` nodes (and their relationships), each a
    short write, instead of one statement that would hold the engine for seconds."""
    engine = get_engine()
    deleted = 0
    t = time.perf_counter()
    while True:
        rows = engine.write(queries.DELETE_SOME, {"limit": slice_nodes})
        n = int(rows[0]["deleted"]) if rows else 0
        deleted += n
        if n < slice_nodes:
            break
        progress(f"    graph: {deleted:,} nodes deleted ({time.perf_counter() - t:.1f} s)")
    return deleted
