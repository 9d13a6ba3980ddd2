"""Acknowledgement escalation with a real Celery worker, beat and Redis: after the
deadline when not acknowledged, never after a timely acknowledgement, exactly once when
the sweep runs twice, and once within the bound when the worker is SIGKILLed mid-sweep
and started again."""

from __future__ import annotations

import signal
import threading
import time
import uuid

import pytest
from django.db import connection

from casework.dispatch import services
from casework.dispatch.models import Assignment, Escalation, UnitEvent
from casework.rooms.models import RoomEvent
from tests.live import _spawn, server_env, shared_celery_paused

pytestmark = pytest.mark.stack


def issue(people, room, units, deadline_s):
    return services.issue_instruction(actor=people.lead, case_id=room.pk, kind="capture",
                                      units=[u.pk for u in units], text="抓捕",
                                      lat=24.3, lon=117.3, ack_deadline_s=deadline_s)


def wait_for(predicate, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def second_unit(org, call_sign):
    from casework.accounts.models import Unit

    return Unit.objects.add_child(Unit.objects.get_parent(org.patrol_unit), {
        "name": f"巡逻组{call_sign}", "kind": "patrol", "call_sign": call_sign,
        "patrol_kind": "car", "lat": 24.31, "lon": 117.31})


def test_escalates_after_the_deadline_not_after_a_timely_ack(live_people,
                                                             celery_beat_process):
    org, people, room = live_people
    spare = second_unit(org, "930")
    late = issue(people, room, [org.patrol_unit], 2).assignments.get()
    timely = issue(people, room, [spare], 2).assignments.get()
    from tests.factories import make_user

    officer = make_user("patrol930", spare, "patrol")
    services.transition(actor=officer, assignment_id=timely.pk, status="acknowledged")
    assert wait_for(lambda: Escalation.objects.filter(assignment=late).exists(), 10), \
        celery_beat_process.output()
    escalation = Escalation.objects.get(assignment=late)
    assert 0 <= escalation.late_ms <= 2000
    assert escalation.at >= late.ack_deadline_at
    time.sleep(1.5)   # well past the timely one's deadline too
    assert not Escalation.objects.filter(assignment=timely).exists()
    # the unit got the instruction again; the room (its leads) heard of it
    assert UnitEvent.objects.filter(unit=org.patrol_unit, type="instruction.sent",
                                    payload__resent=True).count() == 1
    event = RoomEvent.objects.get(case=room, type="assignment.escalated")
    assert event.payload["unit"]["call_sign"] == org.patrol_unit.call_sign
    assert event.payload["suggested_unit"] is None   # 930 is busy, no other is available
    # an escalated assignment can still be acknowledged
    services.transition(actor=people.patrol, assignment_id=late.pk, status="acknowledged")


def test_a_sweep_delivered_twice_escalates_once(live_people, celery_worker_process):
    from celery import current_app

    org, people, room = live_people
    a = issue(people, room, [org.patrol_unit], 1).assignments.get()
    time.sleep(1.2)
    results = [current_app.send_task("casework.dispatch.tasks.escalate_due")
               for _ in range(2)]
    local = threading.Thread(target=lambda: (services.escalate_due(), connection.close()))
    local.start()
    local.join(20)
    def both_ran():
        lines = celery_worker_process.log.read_text(errors="replace").splitlines()
        return all(any(r.id in line and "succeeded" in line for line in lines)
                   for r in results)

    assert wait_for(both_ran, 20), celery_worker_process.output()
    assert Escalation.objects.filter(assignment=a).count() == 1
    assert RoomEvent.objects.filter(case=room, type="assignment.escalated").count() == 1
    assert UnitEvent.objects.filter(unit=org.patrol_unit, payload__resent=True).count() == 1


def test_once_and_in_time_when_the_worker_is_killed_mid_sweep(live_people, tmp_path):
    org, people, room = live_people
    units = [second_unit(org, f"94{i:02d}") for i in range(40)]
    env = {**server_env(), "CELERY_QUEUE": f"casework-test-kill-{uuid.uuid4().hex[:8]}"}
    worker_args = ["-m", "celery", "-A", "casework", "worker", "-l", "INFO",
                   "--concurrency", "1", "--without-gossip", "--without-mingle"]
    import sys

    def start_worker(name):
        server = _spawn([sys.executable, *worker_args, "-n", f"{name}@%h"], name, env)
        assert wait_for(lambda: " ready." in server.log.read_text(errors="replace"), 60), \
            server.output()
        return server

    with shared_celery_paused():
        # 400 assignments due at once: one sweep takes long enough to be killed inside
        for _ in range(10):
            issue(people, room, units, 1)
        worker = start_worker("kill-me")
        beat = _spawn([sys.executable, "-m", "celery", "-A", "casework", "beat", "-l", "INFO",
                       "--pidfile=", "-s", str(tmp_path / "beat-schedule")], "kill-beat", env)
        try:
            assert wait_for(lambda: "escalate_due" in worker.log.read_text(errors="replace")
                            and "received" in worker.log.read_text(errors="replace"), 30), \
                worker.output()
            time.sleep(0.3)
            worker.proc.send_signal(signal.SIGKILL)
            worker.proc.wait(10)
            # the sweep's transaction died with it: nothing half-done
            assert Escalation.objects.count() == 0, "the sweep finished before the kill"
            time.sleep(2)
            worker = start_worker("restarted")
            ready_at = time.time()
            assert wait_for(lambda: Escalation.objects.count() == 400, 60), worker.output()
        finally:
            worker.stop()
            beat.stop()
    escalations = list(Escalation.objects.all())
    assert len({e.assignment_id for e in escalations}) == 400
    first = min(e.at.timestamp() for e in escalations)
    last = max(e.at.timestamp() for e in escalations)
    # within the bound counted from the moment a worker runs again: the first escalation
    # within 2 s of the worker being ready; the 400 of one sweep follow in that sweep
    print(f"after restart: first {first - ready_at:.2f} s, last {last - ready_at:.2f} s")
    assert first - ready_at <= 2.0, first - ready_at
    assert last - first <= 10.0, last - first
    assert UnitEvent.objects.filter(payload__resent=True).count() == 400
    assert RoomEvent.objects.filter(case=room, type="assignment.escalated").count() == 400
    assert Assignment.objects.filter(status="sent").count() == 400
