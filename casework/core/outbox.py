"""The graph outbox: link changes waiting to be projected into the graph.

The evidence issue writes rows here (full current state of each changed link); the
linkanalysis sync drains them. Until then the table is empty and lag is zero.
"""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from casework.core.models import GraphOutbox


def lag() -> tuple[int, float]:
    agg = GraphOutbox.objects.filter(processed_at__isnull=True).aggregate(
        rows=Count("id"), oldest=Min("created_at"))
    rows, oldest = agg["rows"], agg["oldest"]
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return rows, round(age, 3)


def enqueue(*, kind: str, key: str, state: dict) -> GraphOutbox:
    """Record the full current state of one graph object, in the caller's transaction.
    The linkanalysis sync drains these rows in id order per key."""
    return GraphOutbox.objects.create(kind=kind, key=key, state=state)


def enqueue_many(rows: list[tuple[str, str, dict]]) -> None:
    GraphOutbox.objects.bulk_create(
        [GraphOutbox(kind=k, key=key, state=state) for k, key, state in rows], batch_size=2000)
