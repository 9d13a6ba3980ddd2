"""seed_scale: synthetic data for the benchmarks, at small sizes here. The seed must be
data the product could have written: keys as normalisation makes them, links between the
room's own entities with the room's evidence, valid custody chains, outbox states equal to
what the services enqueue, permissions derived from memberships."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from casework.accounts.models import Unit
from casework.core.models import GraphOutbox
from casework.demo import scale
from casework.dispatch.choices import OPEN_STATUSES
from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery
from casework.dispatch.selectors import dispatchable_units
from casework.entities import normalise
from casework.entities.models import CaseEntity, Entity, Link
from casework.entities.outbox import involvement_state
from casework.evidence import custody
from casework.evidence.models import EvidenceItem
from casework.rooms.access import visible_cases
from casework.rooms.models import Case, CaseUserObjectPermission, Membership
from casework.rooms.permissions import case_permission_ids, perms_for_membership
from linkanalysis.graph import driver, repository
from tests.factories import recovery_figures

pytestmark = pytest.mark.django_db

NORMALISE = {"phone": normalise.phone, "vehicle": normalise.plate,
             "bank_account": normalise.bank_account, "person": normalise.id_number}


def quiet(_line: str) -> None:
    pass


def test_a_seed_is_data_the_product_could_have_written():
    scale.seed(scale.Plan(cases=60, links=650, member_cases=12), quiet)
    cases = Case.objects.filter(number__startswith=scale.PREFIX)
    assert cases.count() == 60 and Link.objects.count() == 650
    per_case = Counter(Link.objects.values_list("case_id", flat=True))
    assert set(per_case.values()) == {10, 11}  # 650 links over 60 cases
    # links join the room's own entities, with the room's evidence
    assert not Link.objects.exclude(evidence__case_id=F("case_id")).exists()
    known = set(CaseEntity.objects.values_list("case_id", "entity_id"))
    for case_id, source, target in Link.objects.values_list("case_id", "source_id",
                                                           "target_id"):
        assert (case_id, source) in known and (case_id, target) in known
    # MET is undirected: smaller id first, as the services store it
    assert not Link.objects.filter(kind="MET", source_id__gt=F("target_id")).exists()
    for kind, key in Entity.objects.values_list("kind", "key"):
        assert NORMALISE[kind](key) == key
    for item in EvidenceItem.objects.filter(case__in=cases)[:10]:
        assert custody.verify_item(item).ok
    # outbox: one row per link and involvement, states as the services build them
    assert GraphOutbox.objects.filter(kind="link").count() == 650
    for ce in CaseEntity.objects.select_related("entity__merged_into")[:50]:
        row = GraphOutbox.objects.get(key=f"involvement:{ce.case_id}:{ce.entity_id}")
        assert row.state == involvement_state(ce)
    # the bench user: members of 12 rooms, guardian rows derived from the membership
    user = Membership.objects.first().user
    assert user.username == scale.BENCH_USER and visible_cases(user).count() == 12
    ids = case_permission_ids()
    for m in Membership.objects.filter(user=user):
        have = set(CaseUserObjectPermission.objects.filter(content_object_id=m.case_id,
                                                           user=user)
                   .values_list("permission_id", flat=True))
        assert have == {ids[p] for p in perms_for_membership(m)}


def test_entities_are_shared_with_a_skew_and_a_seed_is_reproducible():
    # entities only: no capture assignments (test_capture_assignments_… covers those)
    plan = scale.Plan(cases=3000, links=30000, graph=False, member_cases=0, assignments=0)
    scale.seed(plan, quiet)
    in_cases = Counter(CaseEntity.objects.values_list("entity_id", flat=True))
    spread = Counter(in_cases.values())
    assert spread[1] / len(in_cases) > 0.8  # most entities in one case
    assert sum(spread[n] for n in range(2, 6)) > 500  # series: some in 2–5
    assert max(in_cases.values()) > 150  # hubs
    keys = set(Entity.objects.values_list("kind", "key"))
    assert GraphOutbox.objects.count() == 0  # --no-graph

    with pytest.raises(scale.AlreadySeeded):
        scale.seed(scale.Plan(cases=10, links=100), quiet)
    scale.reset(quiet)
    assert not Case.objects.exists() and not Entity.objects.exists()
    assert not EvidenceItem.objects.exists() and not Link.objects.exists()
    scale.seed(plan, quiet)
    assert set(Entity.objects.values_list("kind", "key")) == keys


def test_the_command_projects_the_seed_into_the_graph(settings):
    settings.GRAPH_NAME = f"seed-{uuid.uuid4().hex[:8]}"
    driver.reset_engine()
    try:
        call_command("seed_scale", "--cases", "30", "--links", "300", "--member-cases", "5",
                     stdout=io.StringIO())
        counts = repository.counts()
        assert (counts.links, counts.involvements) == (300, CaseEntity.objects.count())
        with pytest.raises(CommandError, match="--reset"):
            call_command("seed_scale", "--cases", "30", stdout=io.StringIO())
        call_command("seed_scale", "--graph-only", stdout=io.StringIO())
        assert repository.counts() == counts  # a replay changes nothing
        call_command("seed_scale", "--reset", "--cases", "0",
                     stdout=io.StringIO())
        assert repository.counts().links == 0 and not Case.objects.exists()
    finally:
        repository.delete_everything()
        driver.reset_engine()


STEPS = ("sent_at", "delivered_at", "acknowledged_at", "en_route_at", "on_scene_at",
         "completed_at")


def dispatch_fingerprint(before) -> list[tuple]:
    """The seeded dispatch rows of cases reported before `before`, times relative to the
    alarm (a seed's clock is its transaction's start)."""
    rows = []
    for a in (Assignment.objects.filter(instruction__case__reported_at__lt=before)
              .select_related("instruction__case", "unit")
              .order_by("instruction__case__number", "instruction__issued_at", "sent_at",
                        "unit__call_sign")):
        alarm = a.instruction.case.reported_at
        rows.append((a.instruction.case.number, a.instruction.kind, a.instruction.drill,
                     a.unit.call_sign, a.status, a.result,
                     *[round((getattr(a, s) - alarm).total_seconds()) if getattr(a, s) else None
                       for s in STEPS]))
    return rows


def test_capture_assignments_are_what_the_dispatch_loop_writes():
    plan = scale.Plan(cases=400, links=4000, assignments=2000, graph=False, member_cases=0)
    scale.seed(plan, quiet)
    now = timezone.now()
    cases = Case.objects.filter(number__startswith=scale.PREFIX)
    instructions = Instruction.objects.filter(case__in=cases)
    assignments = Assignment.objects.filter(instruction__in=instructions).select_related(
        "instruction__case__owning_unit", "unit", "replaces")
    # exact counts: 2,000 assignments, two or three to each of 800 instructions, two per case
    assert assignments.count() == 2000 and instructions.count() == 800
    assert Counter(Counter(assignments.values_list("instruction_id", flat=True)).values()) \
        == {2: 400, 3: 400}
    assert set(Counter(instructions.values_list("case_id", flat=True)).values()) == {2}
    # the small tree (6 echelons) topped up to 200, each unit busy exactly while it holds
    # an open assignment (at this size there may be none: instructions of the last hours)
    patrols = Unit.objects.filter(kind="patrol")
    assert patrols.count() == 200
    holding = set(Assignment.objects.filter(status__in=OPEN_STATUSES)
                  .values_list("unit_id", flat=True))
    assert set(patrols.filter(status="busy").values_list("id", flat=True)) == holding

    bureaus, seen, late = {}, set(), 0
    for a in assignments:
        i, case = a.instruction, a.instruction.case
        # to a patrol unit of the case's own bureau, once per instruction
        if case.owning_unit_id not in bureaus:
            bureaus[case.owning_unit_id] = set(dispatchable_units(case).values_list("id",
                                                                                    flat=True))
        assert a.unit_id in bureaus[case.owning_unit_id]
        assert (i.pk, a.unit_id) not in seen
        seen.add((i.pk, a.unit_id))
        # stamped in order, after the case was opened and the instruction issued, never
        # after now nor after the case was closed
        stamps = [getattr(a, s) for s in STEPS if getattr(a, s) is not None]
        end = a.completed_at or a.declined_at or a.cancelled_at
        assert stamps == sorted(stamps) and stamps[0] == a.sent_at, a.pk
        assert case.opened_at <= i.issued_at <= a.sent_at and (end or stamps[-1]) <= now
        assert end is None or end >= stamps[-1]
        assert not case.closed_at or (end and end <= case.closed_at)
        assert a.ack_deadline_at == a.sent_at + timedelta(seconds=60)
        assert a.updated_at == max(stamps + [end] if end else stamps)
        # the status is the last step reached; results and reasons only where they belong
        last = {"completed_at": "completed", "on_scene_at": "on_scene",
                "en_route_at": "en_route", "acknowledged_at": "acknowledged",
                "delivered_at": "delivered", "sent_at": "sent"}
        expected = ("declined" if a.declined_at else "cancelled" if a.cancelled_at
                    else last[next(s for s in reversed(STEPS) if getattr(a, s))])
        assert a.status == expected, a.pk
        assert bool(a.result) == (a.status == "completed")
        assert bool(a.reason) == (a.status == "declined")
        assert a.status != "declined" or a.acknowledged_at is None
        assert (a.positions == {"on_scene": [i.lat, i.lon]}) == (a.on_scene_at is not None)
        if a.replaces is not None:   # reassigned: the old one cancelled unacknowledged
            old = a.replaces
            assert (old.status, old.acknowledged_at, old.cancelled_at) == ("cancelled", None,
                                                                           a.sent_at)
            assert old.instruction_id == a.instruction_id and old.unit_id != a.unit_id
        if a.status in OPEN_STATUSES:   # still running: only the latest cases
            assert case.reported_at > now - timedelta(days=4)
        if a.acknowledged_at and a.acknowledged_at > a.ack_deadline_at:
            late += 1
    acknowledged = assignments.filter(acknowledged_at__isnull=False).count()
    assert late / acknowledged < 0.01
    statuses = Counter(assignments.values_list("status", flat=True))
    results = Counter(assignments.values_list("result", flat=True))
    assert statuses["completed"] > 0.8 * 2000 and results["captured"] > 0.35 * 2000
    assert statuses["declined"] and statuses["cancelled"] and results["not_found"]
    assert assignments.filter(replaces__isnull=False).exists()
    assert instructions.filter(drill=True).exists()

    # arrests: the case's suspects, by the unit of the assignment that captured them, at
    # the scene; one for each instruction's capture (the other units there took part);
    # drills by name only, under drill instructions
    suspects = set(CaseEntity.objects.filter(case__in=cases, role="suspect",
                                             entity__kind="person")
                   .values_list("case_id", "entity_id"))
    arrests = Arrest.objects.filter(case__in=cases).select_related("assignment__instruction")
    for arrest in arrests:
        a = arrest.assignment
        assert (a.status, a.result, a.unit_id) == ("completed", "captured", arrest.unit_id)
        assert a.on_scene_at <= arrest.arrested_at <= a.completed_at <= arrest.recorded_at
        assert a.instruction.case_id == arrest.case_id
        assert arrest.drill == a.instruction.drill == (arrest.person_id is None)
        assert arrest.drill or (arrest.case_id, arrest.person_id) in suspects
    captured = assignments.filter(result="captured")
    assert sorted(arrests.values_list("assignment__instruction_id", flat=True)) \
        == sorted(set(captured.values_list("instruction_id", flat=True)))
    assert 0.85 < arrests.filter(drill=False).count() / len(suspects) < 0.99

    # recoveries: the recovered value of each case is the sum of its non-drill recoveries
    mismatched, recovered_share = recovery_figures(cases)
    assert not mismatched.exists()
    assert 0.6 < recovered_share < 0.9
    assert not Recovery.objects.filter(drill=True).exclude(
        assignment__instruction__drill=True).exists()

    # reproducible: the same plan again gives the same rows; a reset removes them all
    before = now - timedelta(days=10)
    first = dispatch_fingerprint(before)
    scale.reset(quiet)
    assert not Instruction.objects.exists() and not Assignment.objects.exists()
    assert not Arrest.objects.exists() and not Recovery.objects.exists()
    assert not Unit.objects.filter(status="busy").exists() and patrols.count() == 200
    scale.seed(plan, quiet)
    assert dispatch_fingerprint(before) == first and len(first) > 1500


def test_no_assignments_when_asked_for_none():
    scale.seed(scale.Plan(cases=20, links=200, assignments=0, graph=False, member_cases=0),
               quiet)
    assert not Instruction.objects.exists() and not Arrest.objects.exists()
    assert Unit.objects.filter(kind="patrol").count() == 6   # the tree as made, not topped up
    for wrong in (-1, 20 * scale.MAX_ASSIGNMENTS_PER_CASE + 1):
        with pytest.raises(ValueError, match="assignments"):
            scale.Plan(cases=20, links=200, assignments=wrong).check()
