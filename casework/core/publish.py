"""Side effects after commit: channel-layer events and Celery tasks.

Services call these instead of group_send / .delay() so nothing is sent for a change that
is rolled back, and nothing is sent before the change is visible to whoever reacts to it.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import threading
import weakref
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


class _Sender:
    """Sends channel-layer events from one event-loop thread per process.

    After-commit callbacks hand their events over and return at once, so one commit that
    addresses a thousand units' terminals costs a thousand concurrent sends instead of a
    thousand Redis round trips in a row (bench/push_latency.py). Events to one group keep
    their order: each group's sends wait on that group's FIFO lock.
    """

    CONCURRENCY = 64   # sends in flight at once (each holds a Redis connection)

    def __init__(self) -> None:
        self._slots: asyncio.Semaphore | None = None
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pending: set[concurrent.futures.Future] = set()
        self._group_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._guard:
            # a forked child (Celery prefork) inherits the thread object, not the thread
            if self._thread is None or not self._thread.is_alive():
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                                name="casework-events")
                self._thread.start()
                self._group_locks = weakref.WeakValueDictionary()
                self._pending = set()
                self._slots = None
            return self._loop

    def send(self, group: str, payload: dict[str, Any]) -> None:
        future = asyncio.run_coroutine_threadsafe(self._send(group, payload),
                                                  self._running_loop())
        with self._guard:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future) -> None:
        with self._guard:
            self._pending.discard(future)

    async def _send(self, group: str, payload: dict[str, Any]) -> None:
        lock = self._group_locks.get(group)
        if lock is None:
            lock = self._group_locks[group] = asyncio.Lock()
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.CONCURRENCY)
        async with lock, self._slots:
            try:
                await get_channel_layer().group_send(
                    group, {"type": "casework.event", "event": payload})
            except Exception:  # committed; a lost push is recovered by `resume`
                log.exception("event to %s not sent", group)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait for the events handed over so far (before a process exits, and in tests)."""
        with self._guard:
            pending = list(self._pending)
        concurrent.futures.wait(pending, timeout=timeout)


_sender = _Sender()
atexit.register(_sender.flush)


def send_event_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to a channel-layer group once the current transaction commits."""
    transaction.on_commit(lambda: _sender.send(group, payload))


def flush_events(timeout: float = 5.0) -> None:
    _sender.flush(timeout)


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue a Celery task, by name, once the current transaction commits. By name, so a
    service needs no import of the edge module that defines the task."""
    from celery import current_app

    transaction.on_commit(lambda: current_app.send_task(task_name, args=args, kwargs=kwargs))
