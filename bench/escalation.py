"""Acknowledgement escalation (issue 6): N unacknowledged assignments whose deadlines fall
spread over one minute, a real Celery worker and beat (the sweep every second) on real
Redis and PostgreSQL. Lateness = escalation time − deadline; duplicates counted three ways
(escalation rows, room events, re-sends to the units). Baseline in the same run: a single
assignment.

The deadlines are set directly to now + 10 s + i × (60 s / N) after the instructions are
issued (the default deadline is 60 s after issue; the spread is what matters here).

    python bench/escalation.py --assignments 1000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta

from common import git_rev, machine, pct, use_bench_database


def setup(n_units: int):
    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.rooms import services

    county = Unit.objects.filter(name="升级县局").first()
    if county is None:
        city = Unit.objects.add_root({"name": "升级市局", "kind": UnitKind.CITY_BUREAU})
        county = Unit.objects.add_child(city, {"name": "升级县局",
                                               "kind": UnitKind.COUNTY_BUREAU})
        Unit.objects.add_child(Unit.objects.get(pk=county.pk), {
            "name": "升级巡特警大队", "kind": UnitKind.BRIGADE})
    brigade = Unit.objects.get(name="升级巡特警大队")
    have = Unit.objects.filter(path__startswith=brigade.path, kind=UnitKind.PATROL).count()
    for i in range(have, n_units):
        Unit.objects.add_child(Unit.objects.get(pk=brigade.pk), {
            "name": f"升级巡逻组{i}", "kind": UnitKind.PATROL, "call_sign": f"E{i:04d}"})
    units = list(Unit.objects.filter(path__startswith=brigade.path, kind=UnitKind.PATROL)
                 .order_by("call_sign")[:n_units])
    Unit.objects.filter(pk__in=[u.pk for u in units]).update(status="available")
    lead, _ = User.objects.get_or_create(username="escalation-lead", defaults={
        "unit": Unit.objects.get(name="升级县局"), "org_role": OrgRole.INVESTIGATOR})
    case = services.create_case(actor=lead, number=f"ESC-{time.time_ns()}", title="升级",
                                category="theft", reported_at=datetime.now(UTC),
                                owning_unit=Unit.objects.get(name="升级县局"))
    return case, lead, units


def measure(n: int, spread_s: float, worker) -> dict:
    from django.utils import timezone

    from casework.core.models import AuditEntry
    from casework.dispatch import services
    from casework.dispatch.models import Assignment, Escalation, UnitEvent
    from casework.rooms.models import RoomEvent

    units_n = min(n, 100)
    case, lead, units = setup(units_n)
    for _ in range(max(1, n // units_n)):
        services.issue_instruction(actor=lead, case_id=case.pk, kind="capture",
                                   units=[u.pk for u in units], text="升级测试",
                                   ack_deadline_s=3600, drill=True)
    ids = list(Assignment.objects.filter(instruction__case=case).order_by("id")
               .values_list("id", flat=True))[:n]
    start = timezone.now() + timedelta(seconds=10)
    for i, pk in enumerate(ids):
        Assignment.objects.filter(pk=pk).update(
            ack_deadline_at=start + timedelta(seconds=spread_s * i / max(n, 1)))
    deadline = time.monotonic() + 10 + spread_s + 60
    while time.monotonic() < deadline:
        if Escalation.objects.filter(assignment_id__in=ids).count() == len(ids):
            break
        time.sleep(0.5)
    time.sleep(3)   # any duplicate would show up now
    rows = list(Escalation.objects.filter(assignment_id__in=ids)
                .values_list("assignment__ack_deadline_at", "at"))
    late_ms = [(at - due).total_seconds() * 1000 for due, at in rows]
    room = RoomEvent.objects.filter(case=case, type="assignment.escalated").count()
    resent = UnitEvent.objects.filter(payload__resent=True,
                                      payload__instruction_id__in=list(
                                          Assignment.objects.filter(pk__in=ids)
                                          .values_list("instruction_id", flat=True))).count()
    return {"assignments": len(ids), "escalated": len(rows),
            "late_p50_ms": round(pct(late_ms, 50), 1) if late_ms else None,
            "late_p99_ms": round(pct(late_ms, 99), 1) if late_ms else None,
            "late_max_ms": round(max(late_ms), 1) if late_ms else None,
            "audit_rows_minus_assignments": AuditEntry.objects.filter(
                action="assignment.escalated", object_id__in=[str(i) for i in ids]).count()
            - len(ids),
            "room_events_minus_assignments": room - len(ids),
            "unit_resends_minus_assignments": resent - len(ids)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assignments", type=int, default=1000)
    parser.add_argument("--spread", type=float, default=60.0)
    args = parser.parse_args()
    use_bench_database("casework_escalation")
    from tests.live import start_beat, start_worker

    worker = start_worker()
    beat = start_beat(tempfile.mkdtemp(prefix="escalation-beat-"))
    try:
        baseline = measure(1, 0, worker)
        spread = measure(args.assignments, args.spread, worker)
    finally:
        beat.stop()
        worker.stop()
    print(json.dumps({
        "bench": "escalation", "machine": machine(), "rev": git_rev(),
        "sweep_interval_ms": 1000, "spread_s": args.spread,
        "baseline_one_assignment": baseline, "spread_over_a_minute": spread,
        "p99_ratio_vs_baseline": (round(spread["late_p99_ms"] / baseline["late_p99_ms"], 2)
                                  if baseline["late_p99_ms"] else None),
        "counts": args.assignments >= 1000}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
