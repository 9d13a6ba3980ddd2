"""A unit's WebSocket (`/ws/units/<id>/`): its terminals receive instructions live and
`resume` what they missed while offline. Only the unit's own patrol officers connect;
anyone else is refused at the handshake."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from casework.accounts.ws_auth import scope_user
from casework.dispatch import selectors
from casework.dispatch.events import unit_group


class UnitConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.user = scope_user(self.scope)
        self.unit_id = int(self.scope["url_route"]["kwargs"]["unit_id"])
        if not self._may_listen():
            await self.close(code=4403)
            return
        self.group = unit_group(self.unit_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    def _may_listen(self) -> bool:
        return selectors.is_officer_of(self.user, self.unit_id)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
            kind = data["type"]
        except (ValueError, KeyError, TypeError):
            await self._send({"type": "error", "code": "bad_request",
                              "message": "send a JSON object with a type"})
            return
        if kind == "resume":
            after = data.get("after")
            if not isinstance(after, int) or after < 0:
                await self._send({"type": "error", "code": "bad_request",
                                  "message": "resume needs an integer `after`"})
                return
            while True:
                missed = await database_sync_to_async(selectors.unit_events_after)(
                    self.unit_id, after)
                for event in missed:
                    await self._send(event)
                if len(missed) < 500:
                    break
                after = missed[-1]["event_id"]
            await self._send({"type": "resume.done", "after": after})
        elif kind == "ping":
            await self._send({"type": "pong"})
        else:
            await self._send({"type": "error", "code": "bad_request",
                              "message": f"unknown type {kind!r}"})

    async def dispatch(self, message):
        # Channels closes stale database connections before every handler, one hop to its
        # single sync thread each: a thousand pushes to one process queued there for over
        # half a second (bench/push_latency.py). A push touches no database; the rest
        # goes the usual way.
        if message.get("type") == "casework.event":
            await self.casework_event(message)
        else:
            await super().dispatch(message)

    async def _send(self, payload: dict) -> None:
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    async def casework_event(self, message):
        await self.send(text_data=message["text"])   # encoded once by the sender
