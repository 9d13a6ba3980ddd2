"""Outbox → graph. Rows carry each object's full current state, so writing them is
idempotent: a retried or repeated batch changes nothing. Only the newest row per key in a
batch is written (the older ones are the same object's earlier states)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F

from casework.core.models import GraphOutbox
from linkanalysis.graph import repository

log = logging.getLogger(__name__)

# Claim a batch and mark it processed in one statement: the oldest pending rows, locked
# (SKIP LOCKED: two workers drain different rows instead of waiting on each other). The
# mark counts only if the transaction commits, i.e. after the graph took the batch. One
# round trip instead of a SELECT … FOR UPDATE and an UPDATE of 1,000 ids, and no model
# instances: half of the drain's PostgreSQL and Python time (bench/outbox_drain.py).
CLAIM_BATCH_SQL = f"""
    UPDATE {GraphOutbox._meta.db_table} AS o SET processed_at = now()
    FROM (SELECT id FROM {GraphOutbox._meta.db_table} WHERE processed_at IS NULL
          ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) AS batch
    WHERE o.id = batch.id
    RETURNING o.id, o.kind, o.key, o.state::text
"""  # noqa: S608 - the table name is the model's


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
        with connection.cursor() as cursor:
            cursor.execute(CLAIM_BATCH_SQL, [limit])
            batch = sorted(cursor.fetchall())  # by id (RETURNING keeps no order)
        if not batch:
            return DrainResult(0, 0, 0)
        newest: dict[str, tuple[str, str]] = {}
        for _pk, kind, key, state in batch:
            newest[key] = (kind, state)  # ordered by id: the last one is the current state
        links = [json.loads(state) for kind, state in newest.values() if kind == "link"]
        involvements = [json.loads(state) for kind, state in newest.values()
                        if kind == "involvement"]
        ids = [row[0] for row in batch]
        try:
            repository.ensure_schema_once()
            repository.upsert_links(links)
            repository.upsert_involvements(involvements)
        except Exception:
            log.exception("graph write failed; %d outbox rows stay pending", len(ids))
            transaction.set_rollback(True)  # and with it the processed mark
            failed = True
        else:
            failed = False
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
