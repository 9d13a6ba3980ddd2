"""Outbox → graph. Rows carry each object's full current state, so writing them is
idempotent: a retried or repeated batch changes nothing. Only the newest row per key in a
batch is written (the older ones are the same object's earlier states)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from casework.core.models import GraphOutbox
from linkanalysis.graph import repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DrainResult:
    rows: int
    links: int
    involvements: int


def drain_batch(limit: int = 1000) -> DrainResult:
    """Write up to `limit` pending rows to the graph and mark them processed, in one
    database transaction: if the graph write fails, the rows stay pending (attempts+1).
    Batches stay small because FalkorDB holds Redis' main thread while it writes."""
    with transaction.atomic():
        # SKIP LOCKED: two workers drain different rows instead of waiting on each other
        batch = list(GraphOutbox.objects.select_for_update(skip_locked=True)
                     .filter(processed_at__isnull=True).order_by("id")[:limit])
        if not batch:
            return DrainResult(0, 0, 0)
        newest: dict[str, GraphOutbox] = {}
        for row in batch:
            newest[row.key] = row  # ordered by id: the last one is the current state
        links = [r.state for r in newest.values() if r.kind == "link"]
        involvements = [r.state for r in newest.values() if r.kind == "involvement"]
        ids = [r.pk for r in batch]
        try:
            repository.ensure_schema_once()
            repository.upsert_links(links)
            repository.upsert_involvements(involvements)
        except Exception:
            log.exception("graph write failed; %d outbox rows stay pending", len(ids))
            transaction.set_rollback(True)
            failed = True
        else:
            failed = False
            GraphOutbox.objects.filter(pk__in=ids).update(processed_at=timezone.now())
    if failed:
        GraphOutbox.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
        raise GraphUnavailable(f"{len(ids)} rows not written")
    return DrainResult(len(batch), len(links), len(involvements))


class GraphUnavailable(RuntimeError):
    """The graph engine refused or could not be reached; nothing was marked processed."""


def drain(max_batches: int = 500, limit: int = 1000) -> DrainResult:
    """Drain until the outbox is empty (or `max_batches` were written)."""
    total = DrainResult(0, 0, 0)
    for _ in range(max_batches):
        result = drain_batch(limit)
        total = DrainResult(total.rows + result.rows, total.links + result.links,
                            total.involvements + result.involvements)
        if result.rows < limit:
            break
    return total
