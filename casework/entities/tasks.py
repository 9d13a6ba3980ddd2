"""Celery tasks of the entities app. They take ids and are safe to run twice."""

from celery import shared_task

from casework.entities import imports


@shared_task(name="casework.entities.tasks.run_import", acks_late=True)
def run_import(job_id: int) -> None:
    imports.run_queued(job_id)
