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
    # nothing is left for the escalation sweep: no unacknowledged assignment is open (the
    # escalations there are belong to the history: assignments acknowledged late or
    # reassigned long ago; none in the Pinghe room)
    from casework.dispatch.choices import UNACKNOWLEDGED
    from casework.dispatch.services import escalate_due

    escalated = Escalation.objects.count()
    assert not Assignment.objects.filter(status__in=UNACKNOWLEDGED).exists()
    assert escalate_due() == 0 and Escalation.objects.count() == escalated
    assert not Escalation.objects.filter(assignment__instruction__case=case).exists()
    sent = RoomEvent.objects.get(case=case, type="assignment.sent", payload__id=capture.pk)
    assert sent.at == capture.sent_at
    # the statistics read the same from the case's own timestamps, and a year of history
    # gives the dashboard something true to show, within each reader's scope
    from rest_framework.test import APIClient

    from casework.accounts.models import User

    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(User.objects.get(username="county_leader"))
    pinghe = api.get(f"/api/stats/cases/{case.pk}/").json()
    assert pinghe["time_to_first_arrest_s"] == 13 * 3600 + 47 * 60
    assert pinghe["time_to_lock_s"] == 8 * 3600 + 7 * 60           # 04:43 → 12:50
    assert (pinghe["suspects_arrested"], pinghe["recovery_rate"]) == (5, 76.56)
    nanjing = Case.objects.get(number=scenario.NANJING_CASES[0][0])
    assert api.get(f"/api/stats/cases/{nanjing.pk}/").status_code == 404
    counties = {r["county"]["name_en"] for r in
                api.get("/api/stats/breakdown/", {"by": "county"}).json()["results"]}
    assert counties == {"Pinghe County Public Security Bureau"}
    county_figures = api.get("/api/stats/summary/").json()
    api.force_authenticate(User.objects.get(username="leader"))
    assert api.get(f"/api/stats/cases/{nanjing.pk}/").status_code == 200
    assert api.get(f"/api/stats/cases/{case.pk}/").status_code == 200
    city = api.get("/api/stats/summary/").json()
    assert city["cases_opened"] > county_figures["cases_opened"] > 100
    assert {"Pinghe County Public Security Bureau", "Nanjing County Public Security Bureau"} <= {
        r["county"]["name_en"] for r in
        api.get("/api/stats/breakdown/", {"by": "county"}).json()["results"]}
    # realistic, like the bureau's published figures (arrest rate 96.1 %, recovery 78.23 %)
    assert 90 <= city["arrest_rate"] <= 100 and 60 <= city["recovery_rate"] <= 95
    assert city["ack_within_deadline_rate"] > 95      # declined ones count as not signed for
