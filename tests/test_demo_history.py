"""The demo's year of history (casework.demo.history): rows the rooms could have written,
step by step, with the shape the bureau reports (arrest rate about 96 %, recoveries about
78 % of the loss, acknowledgement within 60 s in over 99 % of assignments, capture about
1 h 36 min after the instruction), the same for the same moment, written once."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import ExtractHour
from django.utils import timezone

from casework.accounts.models import Unit, User
from casework.core.models import GraphOutbox
from casework.demo import history, scenario
from casework.dispatch.choices import OPEN_STATUSES
from casework.dispatch.models import Arrest, Assignment, Escalation, Instruction, Recovery
from casework.dispatch.selectors import bureau_of
from casework.entities import normalise
from casework.entities.models import CaseEntity
from casework.rooms.models import Case, CaseUserObjectPermission, Membership
from casework.rooms.permissions import case_permission_ids, perms_for_membership
from tests.factories import recovery_figures

GEOJSON = Path(__file__).resolve().parents[1] / "casework/static/geo/zhangzhou-demo.geojson"
STEPS = ("sent_at", "delivered_at", "acknowledged_at", "en_route_at", "on_scene_at",
         "completed_at")


def inside(lat: float, lon: float, ring: list[list[float]]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def counties_on_the_map() -> dict[str, list[list[float]]]:
    features = json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]
    return {f["properties"]["name"]: f["geometry"]["coordinates"][0] for f in features
            if f["properties"]["level"] == "county"}


def test_a_year_of_history_as_the_rooms_would_have_recorded_it(db):
    scenario.load()
    now = timezone.now()
    cases = Case.objects.filter(number__startswith=history.PREFIX)
    assert cases.count() == sum(c.cases for c in history.COUNTIES)
    assert not cases.filter(Q(reported_at__gt=now) | Q(reported_at__lt=now - timedelta(days=366))
                            | Q(opened_at__lt=F("reported_at"))).exists()
    assert cases.filter(reported_at__gte=now - timedelta(days=30)).count() >= 100
    closed = cases.filter(status="closed")
    assert cases.count() * 0.8 < closed.count() < cases.count()      # most closed, some open
    assert not closed.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=now)).exists()
    assert not cases.filter(status="open", closed_at__isnull=False).exists()

    # the tree: each county's cases owned by its criminal investigation brigade; its
    # echelons and cases placed inside its outline on the offline map
    outlines = counties_on_the_map()
    for county in history.COUNTIES:
        bureau = Unit.objects.get(name=next(s.name for s in scenario.UNITS
                                            if s.key == county.key))
        echelons = bureau.subtree().filter(kind="patrol")
        assert 3 <= echelons.count() <= 6 and county.name in outlines
        own = cases.filter(owning_unit__name__endswith="刑事侦查大队",
                           owning_unit__path__startswith=bureau.path)
        assert own.count() == county.cases
        for lat, lon in [*echelons.values_list("lat", "lon"), *own.values_list("lat", "lon")]:
            assert inside(lat, lon, outlines[county.name]), (county.name, lat, lon)

    # alarms by the hour: burglaries at night, fraud in office hours (Asia/Shanghai)
    hour = ExtractHour("reported_at", tzinfo=history.SH)
    by_hour = Counter(cases.annotate(h=hour).values_list("category", "h"))
    night, office = range(0, 6), range(9, 18)
    assert sum(by_hour["burglary", h] for h in night) > 2 * sum(by_hour["burglary", h]
                                                                 for h in range(8, 14))
    assert sum(by_hour["fraud", h] for h in office) > 4 * sum(by_hour["fraud", h] for h in night)

    # suspects: persons with valid resident ID numbers, marked after the room was opened;
    # 1–5 per case (none yet only in the cases of the last hours); in the graph outbox
    suspects = CaseEntity.objects.filter(case__in=cases)
    assert not suspects.exclude(role="suspect", entity__kind="person").exists()
    assert not suspects.filter(Q(suspect_since__lt=F("case__opened_at"))
                               | Q(suspect_since__gt=now)
                               | ~Q(created_at=F("suspect_since"))).exists()
    per_case = Counter(suspects.values_list("case_id", flat=True))
    assert set(per_case.values()) == {1, 2, 3, 4, 5}
    assert not cases.exclude(pk__in=per_case).filter(
        reported_at__lt=now - timedelta(days=2)).exists()
    for key in suspects.values_list("entity__key", flat=True):
        assert normalise.id_number(key) == key
    assert GraphOutbox.objects.filter(kind="involvement", key__in=[
        f"involvement:{c}:{e}" for c, e in suspects.values_list("case_id", "entity_id")
    ]).count() == suspects.count()

    # assignments: to the case's own county's echelons, stamped in order, all over
    assignments = Assignment.objects.filter(instruction__case__in=cases).select_related(
        "instruction__case__owning_unit", "unit", "replaces")
    assert not assignments.filter(status__in=OPEN_STATUSES).exists()
    assert not assignments.exclude(ack_deadline_at=F("sent_at") + timedelta(seconds=60)).exists()
    assert not assignments.filter(sent_at__lt=F("instruction__issued_at")).exists()
    assert not Instruction.objects.filter(case__in=cases).exclude(
        issued_by=F("case__created_by")).exists()
    ack_s, capture_min, late, bureaus = [], [], set(), {}
    for a in assignments:
        stamps = [getattr(a, s) for s in STEPS if getattr(a, s) is not None]
        assert stamps == sorted(stamps) and stamps[-1] <= now, a.pk
        end = a.completed_at or a.declined_at or a.cancelled_at
        assert end is not None and end >= stamps[-1] and a.updated_at == end
        assert (a.status == "completed") == bool(a.result) == (a.completed_at is not None)
        assert (a.status == "declined") == bool(a.reason) == (a.declined_at is not None)
        assert (a.status == "cancelled") == (a.cancelled_at is not None)
        assert a.status != "declined" or a.acknowledged_at is None
        bureau = bureaus.setdefault(a.instruction.case.owning_unit_id,
                                    bureau_of(a.instruction.case.owning_unit).path)
        assert a.unit.kind == "patrol" and a.unit.path.startswith(bureau)   # dispatchable
        if a.replaces is not None:   # reassigned: the old one cancelled when this was sent
            old = a.replaces
            assert old.status == "cancelled" and old.cancelled_at == a.sent_at
            assert old.instruction_id == a.instruction_id and old.unit_id != a.unit_id
        if a.acknowledged_at and a.acknowledged_at > a.ack_deadline_at or (
                a.acknowledged_at is None and a.status == "cancelled"
                and a.cancelled_at > a.ack_deadline_at):
            late.add(a.pk)
        if a.instruction.drill:
            continue
        if a.acknowledged_at:
            ack_s.append((a.acknowledged_at - a.sent_at).total_seconds())
        if a.result == "captured":
            capture_min.append((a.completed_at - a.sent_at).total_seconds() / 60)
    # the sweep escalated exactly those not acknowledged by their deadline
    assert set(Escalation.objects.filter(assignment__in=assignments)
               .values_list("assignment_id", flat=True)) == late and late
    assert 0.99 < sum(s <= 60 for s in ack_s) / len(ack_s) < 1
    assert 85 < mean(capture_min) < 110
    assert assignments.filter(status="declined").exists()
    assert assignments.filter(replaces__isnull=False).exists()
    assert assignments.filter(result="not_found").exists()

    # arrests: the room's suspects, under the assignment that captured them (or on the
    # spot before the room existed, twice); drill arrests only under drill instructions
    arrests = Arrest.objects.filter(case__in=cases).select_related("assignment__instruction",
                                                                   "case")
    real = arrests.filter(drill=False)
    suspected = set(suspects.values_list("case_id", "entity_id"))
    for arrest in real:
        assert (arrest.case_id, arrest.person_id) in suspected
        assert arrest.arrested_at <= arrest.recorded_at <= now
        a = arrest.assignment
        if a is None:
            assert arrest.arrested_at < arrest.case.opened_at and arrest.unit.kind == "patrol"
            continue
        assert (a.status, a.result, a.unit_id) == ("completed", "captured", arrest.unit_id)
        assert a.on_scene_at <= arrest.arrested_at <= a.completed_at
        assert a.instruction.case_id == arrest.case_id and not a.instruction.drill
    assert real.filter(arrested_at__lt=F("case__opened_at")).count() == 2
    assert real.filter(assignment__isnull=True).count() == 2
    assert not assignments.filter(result="captured", instruction__drill=False).exclude(
        pk__in=real.values("assignment_id")).exists()       # a capture made an arrest
    drills = arrests.filter(drill=True)
    assert drills.exists() and not drills.exclude(assignment__instruction__drill=True).exists()
    assert not drills.filter(person__isnull=False).exists()
    assert 0.95 < real.count() / suspects.count() < 0.975
    no_arrest = cases.annotate(n=Count("arrests", filter=Q(arrests__drill=False))).filter(n=0)
    assert 0 < no_arrest.filter(status="closed").count() < 0.05 * cases.count()

    # recoveries: the case's recovered value is the sum of its non-drill recoveries;
    # about 78 % of the loss (each case counted up to its loss), one case above its loss
    mismatched, recovered_share = recovery_figures(cases)
    assert not mismatched.exists()
    assert 0.77 < recovered_share < 0.79
    assert cases.filter(recovered_value__gt=F("reported_loss")).count() == 1
    recoveries = Recovery.objects.filter(case__in=cases)
    assert not recoveries.filter(drill=True).exclude(assignment__instruction__drill=True).exists()
    assert not recoveries.filter(Q(recovered_at__lt=F("case__reported_at"))
                                 | Q(recovered_at__gt=now)).exists()
    # nothing happened in a room after it was closed
    for model, stamp in ((Instruction, "issued_at"), (Arrest, "arrested_at"),
                         (Recovery, "recovered_at")):
        assert not model.objects.filter(case__status="closed", case__in=cases, **{
            f"{stamp}__gt": F("case__closed_at")}).exists()

    # drills every month: at least two in any 30 days of the year, counted apart
    drill_times = list(Instruction.objects.filter(case__in=cases, drill=True)
                       .values_list("issued_at", flat=True))
    for days in range(30, 366):
        window = (now - timedelta(days=days), now - timedelta(days=days - 30))
        assert sum(window[0] <= t < window[1] for t in drill_times) >= 2, days

    # who: each room led by its creator since it was opened (guardian rows derived from
    # that membership); `lead` leads a few of Pinghe's, no other demo account is in any
    memberships = Membership.objects.filter(case__in=cases)
    assert memberships.count() == cases.count()
    assert not memberships.exclude(role="lead", user=F("case__created_by"),
                                   added_at=F("case__opened_at")).exists()
    ids = case_permission_ids()
    want = {ids[p] for p in perms_for_membership(memberships.first())}
    held = defaultdict(set)
    for case_id, user_id, perm in CaseUserObjectPermission.objects.filter(
            content_object__in=cases).values_list("content_object_id", "user_id",
                                                  "permission_id"):
        held[case_id, user_id].add(perm)
    assert held == {(m.case_id, m.user_id): want for m in memberships}
    lead = User.objects.get(username="lead")
    led = memberships.filter(user=lead)
    assert led.count() == 6 and set(led.values_list("case__owning_unit__name", flat=True)) \
        == {"平和县公安局刑事侦查大队"}
    demo = [u.username for u in scenario.USERS if u.username != "lead"]
    assert not memberships.filter(user__username__in=demo).exists()
    assert not any(u.has_usable_password() for u in User.objects.filter(
        memberships__case__in=cases).exclude(username="lead"))


def fingerprint() -> list[tuple]:
    cases = Case.objects.filter(number__startswith=history.PREFIX)
    return [
        *cases.order_by("number").values_list("number", "title", "reported_at", "opened_at",
                                              "status", "reported_loss", "recovered_value"),
        *Assignment.objects.filter(instruction__case__in=cases).order_by(
            "instruction__case__number", "sent_at", "unit__call_sign").values_list(
            "instruction__case__number", "unit__call_sign", "status", "result", *STEPS),
        *Arrest.objects.filter(case__in=cases).order_by("case__number", "arrested_at",
                                                        "name").values_list(
            "case__number", "name", "arrested_at", "person__key", "drill"),
    ]


def test_the_same_moment_gives_the_same_history_written_once(db):
    units = scenario._units()
    users = scenario._users(units)
    now = datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    prints = []
    for _ in range(2):
        with transaction.atomic():
            written = history.load(units, users["lead"], now=now)
            assert written["cases"] == sum(c.cases for c in history.COUNTIES)
            prints.append(fingerprint())
            assert history.load(units, users["lead"]) == {}     # once: nothing more
            assert fingerprint() == prints[-1]
            transaction.set_rollback(True)
    assert prints[0] == prints[1] and len(prints[0]) > 3 * written["cases"]
    assert max(p[2] for p in prints[0][:written["cases"]]) < now
