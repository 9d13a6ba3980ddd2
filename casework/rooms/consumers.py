"""The room's WebSocket: live events out, messages and `resume` in.

Access is decided at the handshake by the same choke point as the API; a refused
connection is closed before it is accepted (HTTP 403 at the handshake).
"""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.exceptions import ValidationError

from casework.accounts.ws_auth import scope_user
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.rooms import selectors, services
from casework.rooms.access import get_case_for_user
from casework.rooms.events import room_group


class RoomConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.user = scope_user(self.scope)
        self.case_id = int(self.scope["url_route"]["kwargs"]["case_id"])
        if self.user is None or not await self._may_open():
            await self.close(code=4403)
            return
        self.group = room_group(self.case_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    @database_sync_to_async
    def _may_open(self) -> bool:
        try:
            get_case_for_user(self.user, self.case_id)
        except NotFound:
            return False
        return True

    async def receive(self, text_data=None, bytes_data=None):
        try:
            data = json.loads(text_data or "")
            kind = data["type"]
        except (ValueError, KeyError, TypeError):
            await self._error("bad_request", "send a JSON object with a type")
            return
        if kind == "resume":
            await self._resume(data.get("after"))
        elif kind == "message":
            await self._post(data.get("text", ""), data.get("client_id"))
        elif kind == "ping":
            await self.send(text_data=json.dumps({"type": "pong"}))
        else:
            await self._error("bad_request", f"unknown type {kind!r}")

    async def _resume(self, after):
        if not isinstance(after, int) or after < 0:
            await self._error("bad_request", "resume needs an integer `after`")
            return
        if not await self._may_open():
            await self.close(code=4403)
            return
        while True:
            missed = await database_sync_to_async(selectors.room_events_after)(
                self.case_id, after)
            for event in missed:
                event = await self._for_me(event)
                await self.send(text_data=json.dumps(event, ensure_ascii=False))
            if len(missed) < 500:
                break
            after = missed[-1]["event_id"]
        await self.send(text_data=json.dumps({"type": "resume.done", "after": after}))

    async def _post(self, text, client_id):
        try:
            message = await database_sync_to_async(services.post_message)(
                actor=self.user, case_id=self.case_id, text=text)
        except NotFound:
            await self.close(code=4403)
            return
        except (NotPermitted, Conflict) as exc:
            await self._error("refused", str(exc), client_id)
            return
        except ValidationError as exc:
            await self._error("invalid", "; ".join(exc.messages), client_id)
            return
        await self.send(text_data=json.dumps(
            {"type": "message.accepted", "id": message.pk, "client_id": client_id}))

    async def _error(self, code, message, client_id=None):
        await self.send(text_data=json.dumps(
            {"type": "error", "code": code, "message": message, "client_id": client_id},
            ensure_ascii=False))

    async def _for_me(self, payload: dict) -> dict:
        """Events whose wording depends on who reads them (need-to-know)."""
        if payload.get("type") == "series.alert":
            from casework.entities.selectors import personalise_series_alert

            return await database_sync_to_async(personalise_series_alert)(payload, self.user)
        return payload

    # the events this consumer reads before passing them on (_for_me words series alerts
    # per reader; a member.removed may be this socket's own user); the rest go as sent
    READ_FIRST = frozenset({"series.alert", "member.removed"})

    async def casework_event(self, message):
        kind = message["event_type"]
        if kind not in self.READ_FIRST:
            await self.send(text_data=message["text"])   # encoded once by the sender
            return
        payload = await self._for_me(json.loads(message["text"]))
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))
        if kind == "member.removed" and (payload.get("user") or {}).get("id") == self.user.pk:
            # a removed member may still be leadership of the owning unit: ask again
            if not await self._may_open():
                await self.close(code=4403)
