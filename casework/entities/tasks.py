"""Celery tasks of the entities app. They take ids and are safe to run twice."""

from celery import shared_task
from django.db import OperationalError

from casework.entities import imports, series_alerts


@shared_task(name="casework.entities.tasks.run_import", acks_late=True)
def run_import(job_id: int) -> None:
    imports.run_queued(job_id)


@shared_task(name="casework.entities.tasks.detect_series", acks_late=True,
             autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def detect_series(case_id: int, entity_ids: list[int]) -> int:
    """Series alerts for entities that just entered a room (idempotent: once per pair)."""
    return series_alerts.detect(case_id, entity_ids)
