"""Dispatching a unit outside the room's own bureau: the room asks, the unit's commander
(leadership of the unit's county or city bureau, or any unit above it) decides."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.choices import OrgRole, UnitKind
from casework.accounts.models import Unit, User
from casework.core import audit
from casework.core.errors import Conflict, NotFound
from casework.dispatch.models import UnitRequest
from casework.dispatch.selectors import dispatchable_units
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm


def commands(user: User, unit: Unit) -> bool:
    """Leadership of the unit or of a unit above it."""
    return (user.org_role == OrgRole.LEADERSHIP and user.unit_id is not None
            and unit.path.startswith(user.unit.path))


def request_unit(*, actor: User, case_id: int, unit_id: int, reason: str = "") -> UnitRequest:
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.DISPATCH)
        unit = Unit.objects.filter(pk=unit_id, kind=UnitKind.PATROL).first()
        if unit is None:
            raise ValidationError({"unit": [_("Name a patrol unit.")]})
        if dispatchable_units(case).filter(pk=unit.pk).exists():
            raise Conflict(_("This room may already dispatch that unit."))
        try:
            with transaction.atomic():
                made = UnitRequest.objects.create(case=case, unit=unit, requested_by=actor,
                                                  reason=(reason or "").strip()[:500])
        except IntegrityError:
            raise Conflict(_("A request for that unit is already waiting.")) from None
        audit.record(actor=actor, action="unit.requested", obj=made, case_id=case.pk,
                     detail={"unit": unit.pk})
    return made


def decide(*, actor: User, request_id: int, approve: bool) -> UnitRequest:
    with transaction.atomic():
        made = (UnitRequest.objects.select_for_update(of=("self",))
                .select_related("unit").filter(pk=request_id).first())
        if made is None or not commands(actor, made.unit):
            raise NotFound(_("No such request."))
        if made.status != "pending":
            raise Conflict(_("This request was already decided."))
        made.status = "approved" if approve else "refused"
        made.decided_by, made.decided_at = actor, timezone.now()
        made.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor=actor, action=f"unit.{made.status}", obj=made,
                     case_id=made.case_id, detail={"unit": made.unit_id})
    return made


def payload(made: UnitRequest) -> dict:
    return {"id": made.pk, "case": {"id": made.case_id, "number": made.case.number},
            "unit": {"id": made.unit_id, "call_sign": made.unit.call_sign,
                     "name": made.unit.name},
            "reason": made.reason, "status": made.status,
            "requested_by": made.requested_by.get_username() if made.requested_by else None,
            "created_at": made.created_at.isoformat()}


def to_decide(user: User) -> list[dict]:
    if user.org_role != OrgRole.LEADERSHIP or user.unit_id is None:
        return []
    rows = (UnitRequest.objects.filter(status="pending", unit__path__startswith=user.unit.path)
            .select_related("case", "unit", "requested_by")[:200])
    return [payload(r) for r in rows]
