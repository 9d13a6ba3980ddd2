"""The room's WebSocket over TCP against the running ASGI server and real Redis."""

from __future__ import annotations

import json
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from casework.accounts.services import issue_ws_ticket
from casework.rooms import services
from casework.rooms.models import Membership, Message, RoomEvent

pytestmark = pytest.mark.stack


def open_ws(server, case_id, user=None, ticket=None):
    key = ticket or (issue_ws_ticket(user=user).key if user else None)
    url = f"{server.ws}/ws/cases/{case_id}/" + (f"?ticket={key}" if key else "")
    return connect(url, origin=server.http, open_timeout=10)


def receive_until(ws, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            event = json.loads(ws.recv(timeout=max(0.05, deadline - time.monotonic())))
        except TimeoutError:
            break
        seen.append(event)
        if predicate(event):
            return event
    raise AssertionError(f"nothing matched within {timeout} s; got {seen}")


def refused(server, case_id, **kwargs) -> int:
    with pytest.raises(InvalidStatus) as excinfo:
        open_ws(server, case_id, **kwargs).close()
    return excinfo.value.response.status_code


def test_two_members_see_each_others_messages(asgi_server, live_people):
    org, people, room = live_people
    with open_ws(asgi_server, room.pk, people.lead) as a, \
            open_ws(asgi_server, room.pk, people.member) as b:
        a.send(json.dumps({"type": "message", "text": "嫌疑人往西郊方向", "client_id": "c1"}))
        accepted = receive_until(a, lambda e: e["type"] == "message.accepted")
        event = receive_until(b, lambda e: e["type"] == "message.posted")
        assert event["text"] == "嫌疑人往西郊方向"
        assert event["case_id"] == room.pk and event["id"] == accepted["id"]
        assert event["author"]["username"] == "lead"
        assert isinstance(event["event_id"], int)

        # a post over the API reaches the sockets too (sent after commit)
        services.post_message(actor=people.member, case_id=room.pk, text="收到")
        event = receive_until(a, lambda e: e["type"] == "message.posted" and e["text"] == "收到")
        assert event["author"]["username"] == "member"


def test_outsiders_are_refused_at_the_handshake(asgi_server, live_people):
    org, people, room = live_people
    assert refused(asgi_server, room.pk, user=people.outsider) == 403
    assert refused(asgi_server, room.pk, user=people.patrol) == 403
    assert refused(asgi_server, room.pk, user=people.other_leader) == 403
    assert refused(asgi_server, room.pk) == 403                    # anonymous
    assert refused(asgi_server, 10**9, user=people.lead) == 403    # no such room


def test_leadership_and_observers_may_listen_but_observers_may_not_post(asgi_server,
                                                                       live_people):
    org, people, room = live_people
    with open_ws(asgi_server, room.pk, people.leader) as leader, \
            open_ws(asgi_server, room.pk, people.observer) as observer:
        before = (Message.objects.count(), RoomEvent.objects.count())
        observer.send(json.dumps({"type": "message", "text": "我能发吗", "client_id": "x"}))
        error = receive_until(observer, lambda e: e["type"] == "error")
        assert error["code"] == "refused" and error["client_id"] == "x"
        assert (Message.objects.count(), RoomEvent.objects.count()) == before
        services.post_message(actor=people.lead, case_id=room.pk, text="领导请看")
        receive_until(leader, lambda e: e.get("text") == "领导请看")


def test_resume_returns_what_was_missed(asgi_server, live_people):
    org, people, room = live_people
    with open_ws(asgi_server, room.pk, people.member) as ws:
        ws.send(json.dumps({"type": "resume", "after": 0}))
        done = receive_until(ws, lambda e: e["type"] == "resume.done")
        last = done["after"]
    # offline: three messages and a member change happen
    for text in ("一", "二", "三"):
        services.post_message(actor=people.lead, case_id=room.pk, text=text)
    services.add_member(actor=people.lead, case_id=room.pk, user_id=people.spare.pk,
                        role="observer")
    with open_ws(asgi_server, room.pk, people.member) as ws:
        ws.send(json.dumps({"type": "resume", "after": last}))
        got = []
        while True:
            event = json.loads(ws.recv(timeout=5))
            if event["type"] == "resume.done":
                break
            got.append(event)
    assert [e.get("text") for e in got if e["type"] == "message.posted"] == ["一", "二", "三"]
    assert [e["type"] for e in got][-1] == "member.added"
    ids = [e["event_id"] for e in got]
    assert ids == sorted(ids) and ids[0] == last + 1


def test_a_ticket_works_once(asgi_server, live_people):
    org, people, room = live_people
    ticket = issue_ws_ticket(user=people.member).key
    with open_ws(asgi_server, room.pk, ticket=ticket):
        pass
    assert refused(asgi_server, room.pk, ticket=ticket) == 403


def test_an_expired_ticket_is_refused(asgi_server, live_people):
    from datetime import timedelta

    from django.utils import timezone

    from casework.accounts.models import WsTicket

    org, people, room = live_people
    ticket = issue_ws_ticket(user=people.member)
    WsTicket.objects.filter(pk=ticket.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refused(asgi_server, room.pk, ticket=ticket.key) == 403


def test_a_removed_member_is_disconnected(asgi_server, live_people):
    org, people, room = live_people
    membership = Membership.objects.get(case=room, user=people.member)
    with open_ws(asgi_server, room.pk, people.member) as ws:
        services.remove_member(actor=people.lead, case_id=room.pk, membership_id=membership.pk)
        receive_until(ws, lambda e: e["type"] == "member.removed")
        with pytest.raises(Exception):  # noqa: B017 - the server closes the socket
            for _ in range(10):
                ws.recv(timeout=5)
    assert refused(asgi_server, room.pk, user=people.member) == 403
