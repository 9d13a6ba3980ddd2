"""Side effects after commit: channel-layer events and Celery tasks.

Services call these instead of group_send / .delay() so nothing is sent for a change that
is rolled back, and nothing is sent before the change is visible to whoever reacts to it.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import logging
import os
import threading
import time
from typing import Any

import orjson
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)


class _Sender:
    """Sends channel-layer events from one event-loop thread per process, in batches.

    After-commit callbacks append their events to an outbox and return at once. One drain
    task on the thread sends the outbox in order, up to BATCH events per
    `group_send_many` (two Redis round trips, casework/core/channel_layer.py), one batch
    at a time: events queued while a batch is in flight go in the next. So one commit
    that addresses a thousand units' terminals costs a few round trips instead of a
    thousand (bench/push_latency.py), and every group's events keep their commit order.
    """

    # The first batch of a drain is small so the servers start handing out while the rest
    # is still being written; each next one doubles, up to BATCH.
    FIRST_BATCH, BATCH = 32, 256

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._outbox: list[tuple[str, dict[str, Any]]] = []
        self._drain_future: concurrent.futures.Future | None = None
        self._batch = self.FIRST_BATCH

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """Under self._guard."""
        # a forked child (Celery prefork) inherits the thread object, not the thread, and
        # an outbox that is its parent's to send
        if self._thread is None or not self._thread.is_alive():
            self._loop = asyncio.new_event_loop()
            self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                            name="casework-events")
            self._thread.start()
            self._outbox = []
            self._drain_future = None
            self._batch = self.FIRST_BATCH
        return self._loop

    def send(self, group: str, message: dict[str, Any]) -> None:
        with self._guard:
            loop = self._running_loop()
            self._outbox.append((group, message))
            if self._drain_future is None:
                self._drain_future = asyncio.run_coroutine_threadsafe(self._drain(), loop)

    def _take(self) -> list[tuple[str, dict[str, Any]]]:
        with self._guard:
            batch = self._outbox[:self._batch]
            del self._outbox[:self._batch]
            if batch:
                self._batch = min(self.BATCH, 2 * self._batch)
            else:
                self._drain_future = None   # the next send starts a new drain
                self._batch = self.FIRST_BATCH
            return batch

    async def _drain(self) -> None:
        finished = False
        try:
            while batch := self._take():
                try:
                    await self._send_batch(batch)
                except Exception:  # committed; a lost push is recovered by `resume`
                    log.exception("%s events not sent (first to %s)", len(batch), batch[0][0])
            finished = True
        finally:
            if not finished:   # cancelled (the loop is going away): let a send start anew
                with self._guard:
                    self._drain_future = None
                    self._batch = self.FIRST_BATCH

    @staticmethod
    async def _send_batch(batch: list[tuple[str, dict[str, Any]]]) -> None:
        layer = get_channel_layer()
        if hasattr(layer, "group_send_many"):
            await layer.group_send_many(batch)
        else:   # another layer (settings may name one): one send at a time, in order
            for group, message in batch:
                await layer.group_send(group, message)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait for the events handed over so far (before a process exits, and in tests)."""
        deadline = time.monotonic() + timeout
        while (future := self._drain_future) is not None:
            try:
                future.result(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:   # timed out, or cancelled; the drain logs its own failures
                return
            if self._drain_future is future:   # done without clearing itself: never ran
                return


_sender = _Sender()
atexit.register(_sender.flush)
# a child forked while the thread held the guard would wait on it for ever
os.register_at_fork(after_in_child=lambda: setattr(_sender, "_guard", threading.Lock()))


def event_message(payload: dict[str, Any]) -> dict[str, Any]:
    """The channel-layer message of an event: its JSON text, encoded once for every
    socket that forwards it (a consumer sends `text` as it is: one commit to a thousand
    units' terminals is a thousand frames from one server process), and its type for the
    consumers that act on some events."""
    return {"type": "casework.event", "event_type": payload.get("type"),
            "text": orjson.dumps(payload).decode()}


def send_event_on_commit(group: str, payload: dict[str, Any]) -> None:
    """Send `payload` to a channel-layer group once the current transaction commits.

    Encoded now, inside the transaction: an event that cannot be sent fails the change
    that made it instead of being lost after commit, and the commit's callbacks only hand
    ready messages to the sender."""
    message = event_message(payload)
    transaction.on_commit(lambda: _sender.send(group, message))


def flush_events(timeout: float = 5.0) -> None:
    _sender.flush(timeout)


def enqueue_on_commit(task_name: str, *args: Any, **kwargs: Any) -> None:
    """Queue a Celery task, by name, once the current transaction commits. By name, so a
    service needs no import of the edge module that defines the task."""
    from celery import current_app

    transaction.on_commit(lambda: current_app.send_task(task_name, args=args, kwargs=kwargs))
