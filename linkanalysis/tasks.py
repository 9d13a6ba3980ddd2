"""Celery tasks of link analysis. Safe to run twice (the sync is idempotent)."""

from celery import shared_task

from linkanalysis import sync


@shared_task(name="linkanalysis.tasks.drain_outbox", bind=True, max_retries=None,
             acks_late=True)
def drain_outbox(self) -> int:
    """Project pending outbox rows into the graph; back off while the engine is down."""
    try:
        return sync.drain().rows
    except sync.GraphUnavailable as exc:
        raise self.retry(exc=exc,
                         countdown=min(60, 2 ** min(self.request.retries, 6))) from exc
