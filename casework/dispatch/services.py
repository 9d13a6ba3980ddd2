"""The dispatch loop's write paths: issue, cancel and reassign instructions (the room),
move assignments through their states (the unit's terminal), positions, escalation,
arrests and recoveries. Each checks permission, changes data, writes the audit row and
publishes events after commit.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.choices import OrgRole, UnitKind, UnitStatus
from casework.accounts.models import Unit, User
from casework.core import audit
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.dispatch import events, idempotency
from casework.dispatch.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    UNACKNOWLEDGED,
    AssignmentResult,
    AssignmentStatus,
    InstructionKind,
    Priority,
)
from casework.dispatch.models import (
    DEFAULT_ACK_DEADLINE_S,
    Arrest,
    Assignment,
    Escalation,
    Instruction,
    Recovery,
)
from casework.dispatch.selectors import dispatchable_units, is_officer_of, nearest_available
from casework.entities.models import CaseEntity
from casework.rooms import events as room_events
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm

S = AssignmentStatus


def _check_position(lat, lon) -> tuple[float | None, float | None]:
    if lat is None and lon is None:
        return None, None
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise ValidationError({"lat": [_("Give both latitude and longitude as numbers.")]}
                              ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError({"lat": [_("Latitude −90…90 and longitude −180…180.")]})
    return lat, lon


def _refresh_unit_status(unit_id: int) -> None:
    """Busy while the unit holds an open assignment; available again when it has none
    (an off-duty unit stays off duty)."""
    busy = Assignment.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES).exists()
    unit = Unit.objects.select_for_update().get(pk=unit_id)
    if unit.status == UnitStatus.OFF_DUTY:
        return
    wanted = UnitStatus.BUSY if busy else UnitStatus.AVAILABLE
    if unit.status != wanted:
        Unit.objects.filter(pk=unit_id).update(status=wanted)


def _create_assignment(*, instruction: Instruction, unit: Unit, now,
                       replaces: Assignment | None = None) -> Assignment:
    a = Assignment.objects.create(
        instruction=instruction, unit=unit, status=S.SENT, sent_at=now, updated_at=now,
        ack_deadline_at=now + timedelta(seconds=instruction.ack_deadline_s), replaces=replaces)
    _refresh_unit_status(unit.pk)
    events.emit_to_unit(unit_id=unit.pk, type="instruction.sent", payload=events.for_terminal(a))
    return a


def issue_instruction(*, actor: User, case_id: int, kind: str, units: list[int], text: str,
                      priority: str = Priority.NORMAL, target_entity: int | None = None,
                      lat=None, lon=None, place: str = "",
                      ack_deadline_s: int | None = None, drill: bool = False) -> Instruction:
    """A lead, or a member who may dispatch, sends an instruction to units the room may
    dispatch (its own bureau's patrol units and below)."""
    if kind not in InstructionKind.values:
        raise ValidationError({"kind": [_("Unknown instruction kind.")]})
    if priority not in Priority.values:
        raise ValidationError({"priority": [_("Unknown priority.")]})
    text = (text or "").strip()
    if not text or "\x00" in text:
        raise ValidationError({"text": [_("Say what the units are to do.")]})
    if not units or len(set(units)) != len(units):
        raise ValidationError({"units": [_("Name one or more units, each once.")]})
    deadline = DEFAULT_ACK_DEADLINE_S if ack_deadline_s is None else int(ack_deadline_s)
    if not 1 <= deadline <= 24 * 3600:
        raise ValidationError({"ack_deadline_s": [_("1 second to 24 hours.")]})
    lat, lon = _check_position(lat, lon)
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.DISPATCH)
        allowed = {u.pk: u for u in dispatchable_units(case).filter(pk__in=units)}
        refused = [u for u in units if u not in allowed]
        if refused:
            raise ValidationError({"units": [_("Unit %(id)s is not a patrol unit this room "
                                               "may dispatch.") % {"id": refused[0]}]})
        off = [u.call_sign for u in allowed.values() if u.status == UnitStatus.OFF_DUTY]
        if off:
            raise ValidationError({"units": [_("Unit %(call_sign)s is off duty.")
                                             % {"call_sign": off[0]}]})
        target = None
        if target_entity is not None:
            ce = (CaseEntity.objects.filter(case=case, entity_id=target_entity)
                  .select_related("entity").first())
            if ce is None:
                raise ValidationError({"target_entity": [_("Not an entity of this room.")]})
            target = ce.entity
        now = timezone.now()
        instruction = Instruction.objects.create(
            case=case, kind=kind, priority=priority, text=text[:2000], target_entity=target,
            lat=lat, lon=lon, place=(place or "")[:200], ack_deadline_s=deadline,
            drill=bool(drill), issued_by=actor, issued_at=now)
        made = [_create_assignment(instruction=instruction, unit=allowed[u], now=now)
                for u in units]
        audit.record(actor=actor, action="instruction.issued", obj=instruction,
                     case_id=case.pk, detail={"units": units, "kind": kind, "drill": drill})
        for a in made:
            events.to_room(a=a, type="assignment.sent", actor=actor)
    return instruction


def _lock_assignment(assignment_id) -> Assignment:
    a = (Assignment.objects.select_for_update(of=("self",))
         .select_related("instruction__case", "unit").filter(pk=assignment_id).first())
    if a is None:
        raise NotFound(_("No such assignment."))
    return a


def _cancel(a: Assignment, *, actor, now) -> None:
    a.status, a.cancelled_at, a.updated_at = S.CANCELLED, now, now
    a.save(update_fields=["status", "cancelled_at", "updated_at"])
    _refresh_unit_status(a.unit_id)
    events.emit_to_unit(unit_id=a.unit_id, type="assignment.cancelled",
                        payload=events.for_terminal(a))
    events.to_room(a=a, type="assignment.cancelled", actor=actor)


def cancel_instruction(*, actor: User, instruction_id: int) -> Instruction:
    """The room calls an instruction off: every open assignment is cancelled."""
    with transaction.atomic():
        instruction = Instruction.objects.filter(pk=instruction_id).first()
        if instruction is None:
            raise NotFound(_("No such instruction."))
        get_case_for_user(actor, instruction.case_id, CasePerm.DISPATCH)
        open_ones = list(Assignment.objects.select_for_update(of=("self",))
                         .select_related("instruction__case", "unit")
                         .filter(instruction=instruction, status__in=OPEN_STATUSES))
        if not open_ones:
            raise Conflict(_("Nothing left to cancel: every assignment has ended."))
        now = timezone.now()
        for a in open_ones:
            _cancel(a, actor=actor, now=now)
        audit.record(actor=actor, action="instruction.cancelled", obj=instruction,
                     case_id=instruction.case_id,
                     detail={"assignments": [a.pk for a in open_ones]})
    return instruction


def reassign(*, actor: User, assignment_id: int, unit_id: int) -> Assignment:
    """Cancel one assignment and give the instruction to another unit."""
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        case = get_case_for_user(actor, a.instruction.case_id, CasePerm.DISPATCH)
        if a.status not in OPEN_STATUSES:
            raise Conflict(_("This assignment has ended; issue a new instruction."))
        unit = dispatchable_units(case).filter(pk=unit_id).first()
        if unit is None or unit.pk == a.unit_id:
            raise ValidationError({"unit": [_("Name another patrol unit this room may "
                                              "dispatch.")]})
        now = timezone.now()
        _cancel(a, actor=actor, now=now)
        new = _create_assignment(instruction=a.instruction, unit=unit, now=now, replaces=a)
        audit.record(actor=actor, action="assignment.reassigned", obj=new,
                     case_id=case.pk, detail={"from": a.pk, "unit": unit.pk})
        events.to_room(a=new, type="assignment.sent", actor=actor)
    return new


def _may_work(actor: User, a: Assignment) -> None:
    """Only the unit's own officers move its assignments. Others who may open the room
    get 403; everyone else cannot know the assignment exists."""
    if is_officer_of(actor, a.unit_id):
        return
    get_case_for_user(actor, a.instruction.case_id)   # NotFound when the room is closed
    raise NotPermitted(_("Only the unit's officers update its assignments."))


def transition(*, actor: User, assignment_id: int, status: str, result: str = "",
               reason: str = "", lat=None, lon=None) -> Assignment:
    """Move an assignment to `status`. The same status again (a retried request) returns
    the assignment unchanged; a status that cannot follow the current one is a Conflict;
    concurrent transitions are serialised by the row lock."""
    if status not in S.values:
        raise ValidationError({"status": [_("Unknown status.")]})
    if result and status != S.COMPLETED:
        raise ValidationError({"result": [_("A result goes only with `completed`.")]})
    if status == S.COMPLETED and result not in AssignmentResult.values:
        raise ValidationError({"result": [_("Completed needs a result: captured, not_found "
                                            "or handed_over.")]})
    if reason and status != S.DECLINED:
        raise ValidationError({"reason": [_("A reason goes only with `declined`.")]})
    if status == S.DECLINED and not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the unit declines.")]})
    lat, lon = _check_position(lat, lon)
    with transaction.atomic():
        a = _lock_assignment(assignment_id)
        _may_work(actor, a)
        if a.status == status:
            return a
        if status == S.CANCELLED:
            raise Conflict(_("Only the room cancels an assignment."))
        if status not in TRANSITIONS[a.status]:
            raise Conflict(_("%(to)s cannot follow %(now)s.") % {"to": status, "now": a.status})
        now = timezone.now()
        a.status, a.updated_at = status, now
        setattr(a, f"{status}_at", now)
        fields = ["status", "updated_at", f"{status}_at"]
        if status == S.COMPLETED:
            a.result = result
            fields.append("result")
        if status == S.DECLINED:
            a.reason = (reason or "")[:500]
            fields.append("reason")
        if lat is not None:
            a.positions = {**a.positions, status: [lat, lon]}
            fields.append("positions")
            Unit.objects.filter(pk=a.unit_id).update(lat=lat, lon=lon, position_at=now)
        a.save(update_fields=fields)
        if status not in OPEN_STATUSES:
            _refresh_unit_status(a.unit_id)
        audit.record(actor=actor, action=f"assignment.{status}", obj=a,
                     case_id=a.instruction.case_id,
                     detail={"result": result, "reason": reason, "position": [lat, lon]})
        events.to_room(a=a, type=f"assignment.{status}", actor=actor)
        events.emit_to_unit(unit_id=a.unit_id, type="assignment.updated",
                            payload=events.for_terminal(a))
    return a


def update_position(*, actor: User, unit_id: int, lat, lon) -> Unit:
    """A terminal reports where its unit is."""
    lat, lon = _check_position(lat, lon)
    if lat is None:
        raise ValidationError({"lat": [_("Give both latitude and longitude as numbers.")]})
    if not is_officer_of(actor, unit_id):
        raise NotFound(_("No such unit."))
    with transaction.atomic():
        unit = Unit.objects.select_for_update().filter(pk=unit_id,
                                                       kind=UnitKind.PATROL).first()
        if unit is None:
            raise NotFound(_("No such unit."))
        unit.lat, unit.lon, unit.position_at = lat, lon, timezone.now()
        unit.save(update_fields=["lat", "lon", "position_at"])
    return unit


def escalate_due(now=None, limit: int = 500) -> int:
    """Escalate every unacknowledged assignment whose deadline has passed, once.

    A short database sweep (run every second by beat): stateless, so a worker killed
    mid-sweep loses nothing — the next sweep finds the same rows — and the Escalation's
    unique key makes a second escalation impossible however many sweeps overlap.
    """
    now = now or timezone.now()
    done = 0
    with transaction.atomic():
        due = list(Assignment.objects.select_for_update(of=("self",), skip_locked=True)
                   .select_related("instruction__case", "unit")
                   .filter(status__in=UNACKNOWLEDGED, ack_deadline_at__lte=now,
                           escalation__isnull=True)
                   .order_by("ack_deadline_at")[:limit])
        for a in due:
            try:
                with transaction.atomic():
                    suggestion = nearest_available(a.instruction, exclude=[a.unit_id])
                    late = int((timezone.now() - a.ack_deadline_at).total_seconds() * 1000)
                    Escalation.objects.create(assignment=a, late_ms=late,
                                              suggested_unit=suggestion)
            except IntegrityError:
                continue   # another sweep escalated it first
            done += 1
            audit.record(actor=None, action="assignment.escalated", obj=a,
                         case_id=a.instruction.case_id,
                         detail={"late_ms": late,
                                 "suggested_unit": suggestion.pk if suggestion else None})
            # re-send to the unit, and tell the room (its leads act on it)
            events.emit_to_unit(unit_id=a.unit_id, type="instruction.sent",
                                payload={**events.for_terminal(a), "resent": True})
            room_events.emit(case=a.instruction.case, type="assignment.escalated",
                             payload={**events.assignment_payload(a), "late_ms": late,
                                      "drill": a.instruction.drill,
                                      "kind": a.instruction.kind,
                                      "priority": a.instruction.priority,
                                      "suggested_unit": events.unit_ref(suggestion)})
    return done


def _decimal(value) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ValidationError({"value": [_("A amount in CNY, e.g. \"12800.00\".")]}) from None
    if (not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2
            or amount >= Decimal("1e10")):
        raise ValidationError({"value": [_("A non-negative amount below 10,000,000,000 with "
                                           "at most 2 decimals.")]})
    return amount


def _assignment_for_record(actor: User, case, assignment_id) -> Assignment | None:
    if assignment_id is None:
        return None
    a = (Assignment.objects.select_related("instruction", "unit")
         .filter(pk=assignment_id, instruction__case=case).first())
    if a is None:
        raise ValidationError({"assignment": [_("Not an assignment of this room.")]})
    return a


def _record_access(actor: User, case_id: int, assignment_id):
    """Room members record in their room; a patrol officer under their unit's assignment."""
    if actor.org_role == OrgRole.PATROL and assignment_id is not None:
        a = (Assignment.objects.select_related("instruction__case")
             .filter(pk=assignment_id, unit_id=actor.unit_id,
                     instruction__case_id=case_id).first())
        if a is None:
            raise NotFound(_("No such assignment."))
        if not a.instruction.case.is_open:
            raise Conflict(_("The case is closed: its room is read-only."))
        return a.instruction.case
    return get_case_for_user(actor, case_id, CasePerm.RECORD_ARRESTS)


def record_arrest(*, actor: User, case_id: int, arrested_at, person: int | None = None,
                  name: str = "", place: str = "", lat=None, lon=None,
                  unit: int | None = None, assignment: int | None = None,
                  idempotency_key: str | None = None) -> Arrest:
    """With an `idempotency_key`, a replay of the same request returns the first arrest
    (marked `replayed`) instead of recording a second."""
    idempotency_key = idempotency.clean_key(idempotency_key)
    lat, lon = _check_position(lat, lon)
    if person is None and not (name or "").strip():
        raise ValidationError({"person": [_("Name the person or pick them from the room's "
                                            "entities.")]})
    if arrested_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"arrested_at": [_("An arrest cannot lie in the future.")]})
    with transaction.atomic():
        case = _record_access(actor, case_id, assignment)
        a = _assignment_for_record(actor, case, assignment)
        claim = idempotency.claim(actor=actor, key=idempotency_key, action="arrest",
                                  asked=idempotency.fingerprint(
                                      case=case.pk, arrested_at=arrested_at, person=person,
                                      name=name, place=place, lat=lat, lon=lon, unit=unit,
                                      assignment=assignment))
        if claim.replayed_id is not None:
            return idempotency.replayed(Arrest, claim.replayed_id)
        entity = None
        if person is not None:
            ce = (CaseEntity.objects.filter(case=case, entity_id=person,
                                            entity__kind="person")
                  .select_related("entity").first())
            if ce is None:
                raise ValidationError({"person": [_("Not a person of this room.")]})
            entity = ce.entity
            name = name or ce.label
            if Arrest.objects.filter(case=case, person=entity).exists():
                raise Conflict(_("This person's arrest is already recorded in this case."))
        unit_id = a.unit_id if a else unit
        arrest = Arrest.objects.create(
            case=case, person=entity, name=(name or "")[:100], arrested_at=arrested_at,
            place=(place or "")[:200], lat=lat, lon=lon, unit_id=unit_id, assignment=a,
            drill=bool(a and a.instruction.drill), recorded_by=actor)
        claim.settle(arrest.pk)
        audit.record(actor=actor, action="arrest.recorded", obj=arrest, case_id=case.pk,
                     detail={"person": person, "assignment": assignment})
        room_events.emit(case=case, type="arrest.recorded", payload=arrest_payload(arrest),
                         actor=actor)
    return arrest


def record_recovery(*, actor: User, case_id: int, items: str, value,
                    recovered_at=None, assignment: int | None = None,
                    idempotency_key: str | None = None) -> Recovery:
    """With an `idempotency_key`, a replay returns the first recovery (as record_arrest)."""
    idempotency_key = idempotency.clean_key(idempotency_key)
    amount = _decimal(value)
    if not (items or "").strip():
        raise ValidationError({"items": [_("Say what was recovered.")]})
    with transaction.atomic():
        case = _record_access(actor, case_id, assignment)
        a = _assignment_for_record(actor, case, assignment)
        claim = idempotency.claim(actor=actor, key=idempotency_key, action="recovery",
                                  asked=idempotency.fingerprint(
                                      case=case.pk, items=items, value=amount,
                                      recovered_at=recovered_at, assignment=assignment))
        if claim.replayed_id is not None:
            return idempotency.replayed(Recovery, claim.replayed_id)
        recovery = Recovery.objects.create(
            case=case, items=items.strip()[:500], value=amount,
            recovered_at=recovered_at or timezone.now(), unit_id=a.unit_id if a else None,
            assignment=a, drill=bool(a and a.instruction.drill), recorded_by=actor)
        if not recovery.drill:
            # the case's recovered value is the sum of its (non-drill) recoveries
            total = (Recovery.objects.filter(case=case, drill=False)
                     .aggregate(s=Sum("value"))["s"]) or Decimal("0")
            if total >= Decimal("1e12"):
                raise ValidationError({"value": [_("The case's recovered total would exceed "
                                                   "what can be recorded.")]})
            type(case).objects.filter(pk=case.pk).update(recovered_value=total)
        claim.settle(recovery.pk)
        audit.record(actor=actor, action="recovery.recorded", obj=recovery, case_id=case.pk,
                     detail={"value": str(amount), "assignment": assignment})
        room_events.emit(case=case, type="recovery.recorded",
                         payload={"id": recovery.pk, "items": recovery.items,
                                  "value": str(recovery.value), "drill": recovery.drill,
                                  "recovered_at": recovery.recovered_at.isoformat()},
                         actor=actor)
    return recovery


def arrest_payload(arrest: Arrest) -> dict:
    return {"id": arrest.pk, "name": arrest.name, "person": arrest.person_id,
            # in the project's time zone whatever offset it came with: a replay (read back
            # from the database) answers exactly as the first request did
            "arrested_at": timezone.localtime(arrest.arrested_at).isoformat(),
            "place": arrest.place,
            "unit": arrest.unit_id, "assignment": arrest.assignment_id, "drill": arrest.drill}
