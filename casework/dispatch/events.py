"""Events of the dispatch loop: to the room (instruction cards) and to each unit's
terminals (`/ws/units/<id>/`), both logged for `resume` and sent after commit."""

from __future__ import annotations

from typing import Any

from django.db import connection

from casework.core.publish import send_event_on_commit
from casework.dispatch.models import Assignment, Instruction, UnitEvent
from casework.rooms import events as room_events


def unit_group(unit_id: int) -> str:
    return f"unit.{unit_id}"


def emit_to_unit(*, unit_id: int, type: str, payload: dict[str, Any]) -> UnitEvent:
    """Append to the unit's log and publish after commit (ids in commit order, as rooms)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_unit SET event_seq = event_seq + 1 WHERE id = %s "
                       "RETURNING event_seq", [unit_id])
        seq = cursor.fetchone()[0]
    body = {"type": type, "event_id": seq, "unit_id": unit_id, **payload}
    event = UnitEvent.objects.create(unit_id=unit_id, seq=seq, type=type, payload=body)
    send_event_on_commit(unit_group(unit_id), body)
    return event


def _iso(moment):
    return moment.isoformat() if moment else None


def unit_ref(unit) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"id": unit.pk, "call_sign": unit.call_sign, "name": unit.name}


def assignment_payload(a: Assignment) -> dict[str, Any]:
    return {
        "id": a.pk, "assignment_id": a.pk, "instruction_id": a.instruction_id,
        "unit": unit_ref(a.unit),
        "status": a.status, "result": a.result, "reason": a.reason,
        "ack_deadline_at": _iso(a.ack_deadline_at),
        "times": {s: _iso(getattr(a, f"{s}_at")) for s in
                  ("sent", "delivered", "acknowledged", "en_route", "on_scene", "completed",
                   "declined", "cancelled")},
        "positions": a.positions, "replaces": a.replaces_id,
        "escalated": hasattr(a, "escalation") and a.escalation is not None,
    }


def _target(i: Instruction) -> dict[str, Any] | None:
    target = i.target_entity
    if target is None:
        return None
    from casework.entities.models import CaseEntity

    # the room's name for it: a person known only by name has a meaningless key
    label = (CaseEntity.objects.filter(case_id=i.case_id, entity=target)
             .values_list("label", flat=True).first()) or target.key
    return {"id": target.pk, "kind": target.kind, "key": target.key, "label": label}


def instruction_payload(i: Instruction) -> dict[str, Any]:
    return {
        "instruction_id": i.pk, "case_id": i.case_id, "case_number": i.case.number,
        "kind": i.kind, "priority": i.priority, "text": i.text,
        "target": _target(i),
        "lat": i.lat, "lon": i.lon, "place": i.place, "ack_deadline_s": i.ack_deadline_s,
        "drill": i.drill, "issued_at": _iso(i.issued_at),
        "issued_by": room_events.user_ref(i.issued_by),
    }


def for_terminal(a: Assignment) -> dict[str, Any]:
    """What a unit's terminal is sent about its assignment: the instruction and the
    assignment's state — nothing else of the room."""
    return {**instruction_payload(a.instruction), **assignment_payload(a)}


def to_room(*, a: Assignment, type: str, actor=None) -> None:
    room_events.emit(case=a.instruction.case, type=type,
                     payload={**assignment_payload(a), "drill": a.instruction.drill,
                              "kind": a.instruction.kind,
                              "priority": a.instruction.priority}, actor=actor)
