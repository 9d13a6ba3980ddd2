"""Every room event matches its published schema and is sent only after commit."""

from __future__ import annotations

import jsonschema
import pytest
from django.db import transaction

from casework.rooms import services
from casework.rooms.event_schema import EVENT_SCHEMAS
from casework.rooms.models import Membership, RoomEvent


def test_every_event_type_matches_its_schema(people, room, django_capture_on_commit_callbacks):
    membership = Membership.objects.get(case=room, user=people.member)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.post_message(actor=people.member, case_id=room.pk, text="现场已封控")
        services.change_member(actor=people.lead, case_id=room.pk,
                               membership_id=membership.pk, can_dispatch=True)
        services.update_case(actor=people.lead, case_id=room.pk, changes={"title": "新标题"})
        services.close_case(actor=people.lead, case_id=room.pk)
        services.reopen_case(actor=people.lead, case_id=room.pk)
        services.remove_member(actor=people.lead, case_id=room.pk, membership_id=membership.pk)
    events = list(RoomEvent.objects.filter(case=room).order_by("seq"))
    assert {e.type for e in events} <= set(EVENT_SCHEMAS)
    for event in events:
        jsonschema.validate(event.payload, EVENT_SCHEMAS[event.type],
                            format_checker=jsonschema.FormatChecker())
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    # one send per event of this block, queued for after commit
    assert len(callbacks) == 6


def test_nothing_is_sent_for_a_rolled_back_change(people, room,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.post_message(actor=people.member, case_id=room.pk, text="撤回")
            raise RuntimeError
    assert callbacks == []
    assert not RoomEvent.objects.filter(case=room, type="message.posted").exists()
