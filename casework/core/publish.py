"""Side effects after commit: channel-layer events and Celery tasks.

Services call these instead of group_send / .delay() so nothing is sent for a change that
is rolled back, and nothing is sent before the change is visible to whoever reacts to it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


def send_event_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to a channel-layer group once the current transaction commits."""

    def _send() -> None:
        try:
            async_to_sync(get_channel_layer().group_send)(
                group, {"type": "casework.event", "event": payload}
            )
        except Exception:  # the change is committed; a lost push is recovered by `resume`
            log.exception("event to %s not sent", group)

    transaction.on_commit(lambda: _outside_event_loop(_send))


def _outside_event_loop(fn) -> None:
    """Run `fn` here, or in a helper thread when this thread runs an event loop (async
    code that called a service directly; async_to_sync refuses to nest)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    worker = threading.Thread(target=fn)
    worker.start()
    worker.join()


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue a Celery task, by name, once the current transaction commits. By name, so a
    service needs no import of the edge module that defines the task."""
    from celery import current_app

    transaction.on_commit(lambda: current_app.send_task(task_name, args=args, kwargs=kwargs))
