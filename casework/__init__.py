"""Casework: the Django project (composition root) and its apps."""

from casework.celery import app as celery_app

__all__ = ["celery_app"]
