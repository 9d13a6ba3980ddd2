"""Rebuild the graph from PostgreSQL, the source of truth."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from casework.core.models import GraphOutbox
from casework.entities.models import CaseEntity, Link
from casework.entities.outbox import enqueue_involvements, enqueue_link_ids
from linkanalysis import sync
from linkanalysis.graph import repository


@dataclass(frozen=True)
class RebuildReport:
    postgres_links: int
    postgres_involvements: int
    graph: repository.GraphCounts

    @property
    def matches(self) -> bool:
        return (self.graph.links == self.postgres_links
                and self.graph.involvements == self.postgres_involvements)


def rebuild(batch: int = 1000) -> RebuildReport:
    """Empty the graph and write every link and involvement's current state again."""
    repository.delete_everything()
    repository.ensure_schema()
    with transaction.atomic():
        # what was pending is superseded by the full re-send below
        GraphOutbox.objects.filter(processed_at__isnull=True).update(processed_at=timezone.now())
        link_ids = list(Link.objects.order_by("id").values_list("id", flat=True))
        for start in range(0, len(link_ids), batch):
            enqueue_link_ids(link_ids[start:start + batch])
        rows = list(CaseEntity.objects.select_related("entity__merged_into").order_by("id"))
        for start in range(0, len(rows), batch):
            enqueue_involvements(rows[start:start + batch])
    sync.drain(max_batches=10**6, limit=batch)
    return RebuildReport(len(link_ids), len(rows), repository.counts())
