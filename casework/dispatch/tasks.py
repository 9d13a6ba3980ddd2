"""Celery tasks of the dispatch loop."""

from celery import shared_task

from casework.dispatch import services


@shared_task(name="casework.dispatch.tasks.escalate_due")
def escalate_due() -> int:
    """Beat runs this every second (ESCALATION_SWEEP_MS). It is a database sweep, not a
    task per deadline: a worker killed mid-run loses nothing (the next sweep finds the
    same rows), and no countdown task can be redelivered late by the broker's visibility
    timeout."""
    return services.escalate_due()
