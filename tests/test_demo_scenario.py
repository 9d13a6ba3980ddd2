"""The demo loader: idempotent, and the Pinghe case's capture as the bureau reported it."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Min

from casework.demo import scenario
from casework.dispatch.models import Arrest, Assignment, Escalation, Instruction
from casework.rooms.models import Case, RoomEvent


def test_demo_loads_twice_and_the_arrests_come_13h47m_after_the_alarm(db):
    first = scenario.load()
    counts = (Instruction.objects.count(), Assignment.objects.count(), Arrest.objects.count(),
              RoomEvent.objects.count())
    assert scenario.load() == first
    assert (Instruction.objects.count(), Assignment.objects.count(), Arrest.objects.count(),
            RoomEvent.objects.count()) == counts          # nothing added the second time
    case = Case.objects.get(number=scenario.PINGHE_NUMBER)
    arrests = Arrest.objects.filter(case=case)
    assert arrests.count() == 5 and {a.unit.call_sign for a in arrests} == {"621"}
    first_arrest = arrests.aggregate(m=Min("arrested_at"))["m"]
    assert first_arrest - case.reported_at == timedelta(hours=13, minutes=47)
    capture = Assignment.objects.get(instruction__case=case, instruction__kind="capture")
    assert capture.status == "completed" and capture.result == "captured"
    assert capture.acknowledged_at < capture.ack_deadline_at      # acknowledged in time
    assert capture.positions["acknowledged"] == [24.3651, 117.3129]
    assert str(case.recovered_value) == "9800.00"
    # nothing is left for the escalation sweep: no unacknowledged assignment is open
    from casework.dispatch.services import escalate_due

    assert escalate_due() == 0 and not Escalation.objects.exists()
    sent = RoomEvent.objects.get(case=case, type="assignment.sent", payload__id=capture.pk)
    assert sent.at == capture.sent_at
