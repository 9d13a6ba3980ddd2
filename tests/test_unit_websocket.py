"""The unit's WebSocket over TCP against the running ASGI server: instructions arrive
live, an offline terminal gets them with `resume`, other units are refused."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from casework.accounts.services import issue_ws_ticket
from casework.dispatch import services
from tests.factories import make_user
from tests.test_room_websocket import receive_until

pytestmark = pytest.mark.stack


def open_unit_ws(server, unit_id, user):
    key = issue_ws_ticket(user=user).key
    return connect(f"{server.ws}/ws/units/{unit_id}/?ticket={key}", origin=server.http,
                   open_timeout=10)


def issue(people, room, unit, text="抓捕赖某某"):
    return services.issue_instruction(actor=people.lead, case_id=room.pk, kind="capture",
                                      units=[unit.pk], text=text, lat=24.3, lon=117.3,
                                      priority="urgent")


def test_terminal_receives_instructions_live(asgi_server, live_people):
    org, people, room = live_people
    with open_unit_ws(asgi_server, org.patrol_unit.pk, people.patrol) as ws:
        instruction = issue(people, room, org.patrol_unit)
        event = receive_until(ws, lambda e: e["type"] == "instruction.sent")
        assert event["instruction_id"] == instruction.pk
        assert event["text"] == "抓捕赖某某" and event["priority"] == "urgent"
        assert event["status"] == "sent" and event["unit_id"] == org.patrol_unit.pk
        assert event["case_number"] == room.number
        assert room.title not in json.dumps(event, ensure_ascii=False)
        services.cancel_instruction(actor=people.lead, instruction_id=instruction.pk)
        cancelled = receive_until(ws, lambda e: e["type"] == "assignment.cancelled")
        assert cancelled["status"] == "cancelled"


def test_offline_terminal_catches_up_with_resume(asgi_server, live_people):
    org, people, room = live_people
    with open_unit_ws(asgi_server, org.patrol_unit.pk, people.patrol) as ws:
        first = issue(people, room, org.patrol_unit, "第一条")
        seen = receive_until(ws, lambda e: e["type"] == "instruction.sent")
    # offline: two more instructions are sent
    second = issue(people, room, org.patrol_unit, "第二条")
    third = issue(people, room, org.patrol_unit, "第三条")
    with open_unit_ws(asgi_server, org.patrol_unit.pk, people.patrol) as ws:
        ws.send(json.dumps({"type": "resume", "after": seen["event_id"]}))
        got = []
        receive_until(ws, lambda e: got.append(e) or e["type"] == "resume.done")
    sent = [e["instruction_id"] for e in got if e["type"] == "instruction.sent"]
    assert sent == [second.pk, third.pk]
    assert first.pk not in sent


def test_other_units_and_non_officers_are_refused(asgi_server, live_people):
    org, people, room = live_people
    from casework.accounts.models import Unit

    other = Unit.objects.add_child(Unit.objects.get_parent(org.patrol_unit), {
        "name": "巡逻组950", "kind": "patrol", "call_sign": "950"})
    stranger = make_user("patrol950", other, "patrol")
    for user in (stranger, people.lead, people.leader, people.outsider):
        with pytest.raises(InvalidStatus) as refused:
            open_unit_ws(asgi_server, org.patrol_unit.pk, user).close()
        assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus):
        connect(f"{asgi_server.ws}/ws/units/{org.patrol_unit.pk}/", origin=asgi_server.http,
                open_timeout=10).close()


def test_server_declines_permessage_deflate(asgi_server, live_people):
    """The terminal offers compression (browsers do too); the server, started as in
    production, declines it: a push is a ~1 KB frame, and compressing it cost the server
    CPU on every push and ~35 KB of zlib state per connection (tests/live.py)."""
    org, people, _ = live_people
    with open_unit_ws(asgi_server, org.patrol_unit.pk, people.patrol) as ws:
        assert "permessage-deflate" in ws.request.headers["Sec-WebSocket-Extensions"]
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        assert ws.protocol.extensions == []
