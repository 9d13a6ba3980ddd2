"""Write paths of case rooms. Each: authorise → validate → change → audit → events.

Public functions take the acting user and ids, check permission through
casework.rooms.access, and run in one transaction; events go out after commit.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.accounts.models import Unit, User
from casework.core import audit
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.rooms import events
from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm, CaseStatus, RoomRole
from casework.rooms.models import Case, Membership, Message
from casework.rooms.permissions import sync_case_permissions

EDITABLE_FIELDS = ("title", "category", "reported_at", "reported_loss", "location", "lat",
                   "lon")


def _check_owning_unit(actor: User, unit: Unit | None) -> Unit:
    if unit is None:
        if actor.unit is None:
            raise ValidationError({"owning_unit": [_("You belong to no unit: name one.")]})
        return actor.unit
    if actor.unit is None or not unit.path.startswith(actor.unit.bureau_root().path):
        raise ValidationError({"owning_unit": [_("The unit is not in your bureau.")]})
    return unit


def create_case(*, actor: User, number: str, title: str, category: str, reported_at,
                reported_loss: Decimal = Decimal("0"), location: str = "",
                owning_unit: Unit | None = None, lat: float | None = None,
                lon: float | None = None, opened_at=None) -> Case:
    """Open a case and its room; the creator becomes its first lead."""
    if not actor.is_authenticated or not actor.may_create_cases:
        raise NotPermitted(_("Only investigators and leadership may open cases."))
    unit = _check_owning_unit(actor, owning_unit)
    case = Case(number=number.strip(), title=title.strip(), category=category,
                reported_at=reported_at, reported_loss=reported_loss, location=location,
                owning_unit=unit, lat=lat, lon=lon, created_by=actor,
                opened_at=opened_at or timezone.now())
    case.full_clean(exclude=["created_by"], validate_unique=False)
    try:
        with transaction.atomic():
            case.save()
            _do_add_member(actor=actor, case=case, user=actor, role=RoomRole.LEAD)
            audit.record(actor=actor, action="case.opened", obj=case, case_id=case.pk,
                         detail={"number": case.number})
            events.emit(case=case, type="case.opened", payload=events.case_payload(case),
                        actor=actor)
    except IntegrityError as exc:
        if Case.objects.filter(number=case.number).exists():
            raise ValidationError(
                {"number": [_("A case with this number already exists.")]}
            ) from exc
        raise
    return case


def update_case(*, actor: User, case_id: int, changes: dict[str, Any]) -> Case:
    """Edit the case's descriptive fields (lead only; the room must be open)."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed.")] for f in unknown})
    with transaction.atomic():
        get_case_for_user(actor, case_id, CasePerm.CHANGE)
        # lock: two leads editing at once must not lose each other's fields
        case = Case.objects.select_for_update().get(pk=case_id)
        before = {f: str(getattr(case, f)) for f in changes}
        for field, value in changes.items():
            setattr(case, field, value)
        case.full_clean(exclude=["created_by"], validate_unique=False)
        case.save(update_fields=list(changes))
        audit.record(actor=actor, action="case.updated", obj=case, case_id=case.pk,
                     detail={"before": before, "after": {f: str(v) for f, v in changes.items()}})
        events.emit(case=case, type="case.updated", payload=events.case_payload(case),
                    actor=actor)
    return case


def _set_status(*, actor: User, case_id: int, to: str) -> Case:
    with transaction.atomic():
        get_case_for_user(actor, case_id, CasePerm.CLOSE)
        # lock: close and reopen racing must leave one consistent state
        case = Case.objects.select_for_update().get(pk=case_id)
        if case.status == to:
            raise Conflict(_("The case is already %(status)s.") % {"status": case.status})
        case.status = to
        case.closed_at = timezone.now() if to == CaseStatus.CLOSED else None
        case.save(update_fields=["status", "closed_at"])
        kind = "case.closed" if to == CaseStatus.CLOSED else "case.reopened"
        audit.record(actor=actor, action=kind, obj=case, case_id=case.pk)
        events.emit(case=case, type=kind, payload=events.case_payload(case), actor=actor)
    return case


def close_case(*, actor: User, case_id: int) -> Case:
    """Close the case; its room becomes read-only (lead only)."""
    return _set_status(actor=actor, case_id=case_id, to=CaseStatus.CLOSED)


def reopen_case(*, actor: User, case_id: int) -> Case:
    """Reopen a closed case (lead only)."""
    return _set_status(actor=actor, case_id=case_id, to=CaseStatus.OPEN)


def _do_add_member(*, actor: User, case: Case, user: User, role: str,
                   can_dispatch: bool = False) -> Membership:
    membership = Membership.objects.create(case=case, user=user, role=role,
                                           can_dispatch=can_dispatch, added_by=actor)
    sync_case_permissions(case_id=case.pk, user_id=user.pk)
    return membership


def add_member(*, actor: User, case_id: int, user_id: int, role: str,
               can_dispatch: bool = False) -> Membership:
    """Bring a user into the room with a room role (lead only)."""
    if role not in RoomRole.values:
        raise ValidationError({"role": [_("Unknown room role.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.MANAGE_MEMBERS)
        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            raise ValidationError({"user": [_("No such active user.")]})
        if Membership.objects.filter(case=case, user=user).exists():
            raise ValidationError({"user": [_("Already a member of this room.")]})
        membership = _do_add_member(actor=actor, case=case, user=user, role=role,
                                    can_dispatch=can_dispatch and role == RoomRole.MEMBER)
        audit.record(actor=actor, action="member.added", obj=membership, case_id=case.pk,
                     detail={"user_id": user.pk, "role": role, "can_dispatch": can_dispatch})
        events.emit(case=case, type="member.added",
                    payload=events.membership_payload(membership), actor=actor)
    return membership


def _locked_membership(case: Case, membership_id: int) -> Membership:
    # lock: role changes and removals of one membership must not interleave
    membership = (Membership.objects.select_for_update().select_related("user")
                  .filter(pk=membership_id, case=case).first())
    if membership is None:
        raise NotFound(_("No such member in this room."))
    return membership


def _other_leads(case: Case, membership: Membership) -> int:
    return (Membership.objects.filter(case=case, role=RoomRole.LEAD)
            .exclude(pk=membership.pk).count())


def change_member(*, actor: User, case_id: int, membership_id: int, role: str | None = None,
                  can_dispatch: bool | None = None) -> Membership:
    """Change a member's room role and/or `can_dispatch` (lead only)."""
    if role is not None and role not in RoomRole.values:
        raise ValidationError({"role": [_("Unknown room role.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.MANAGE_MEMBERS)
        # lock the case row: "at least one lead" is a rule over all memberships
        Case.objects.select_for_update().filter(pk=case.pk).get()
        membership = _locked_membership(case, membership_id)
        before = {"role": membership.role, "can_dispatch": membership.can_dispatch}
        if (role is not None and role != RoomRole.LEAD and membership.role == RoomRole.LEAD
                and not _other_leads(case, membership)):
            raise Conflict(_("A room needs at least one lead."))
        if role is not None:
            membership.role = role
        if can_dispatch is not None:
            membership.can_dispatch = can_dispatch
        if membership.role != RoomRole.MEMBER:
            membership.can_dispatch = False
        membership.save(update_fields=["role", "can_dispatch"])
        sync_case_permissions(case_id=case.pk, user_id=membership.user_id)
        audit.record(actor=actor, action="member.changed", obj=membership, case_id=case.pk,
                     detail={"before": before, "after": {"role": membership.role,
                                                         "can_dispatch": membership.can_dispatch}})
        events.emit(case=case, type="member.changed",
                    payload=events.membership_payload(membership), actor=actor)
    return membership


def remove_member(*, actor: User, case_id: int, membership_id: int) -> None:
    """Take a user out of the room (lead only); the last lead cannot be removed."""
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.MANAGE_MEMBERS)
        Case.objects.select_for_update().filter(pk=case.pk).get()
        membership = _locked_membership(case, membership_id)
        if membership.role == RoomRole.LEAD and not _other_leads(case, membership):
            raise Conflict(_("A room needs at least one lead."))
        payload = events.membership_payload(membership)
        user_id = membership.user_id
        membership.delete()
        sync_case_permissions(case_id=case.pk, user_id=user_id)
        audit.record(actor=actor, action="member.removed", object_type="rooms.membership",
                     object_id=membership_id, case_id=case.pk, detail={"user_id": user_id})
        events.emit(case=case, type="member.removed", payload=payload, actor=actor)


def post_message(*, actor: User, case_id: int, text: str) -> Message:
    """Post a consultation message to the room (lead and members)."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": [_("A message cannot be empty.")]})
    if len(text) > 4000:
        raise ValidationError({"text": [_("At most 4000 characters.")]})
    with transaction.atomic():
        case = get_case_for_user(actor, case_id, CasePerm.POST)
        message = Message.objects.create(case=case, author=actor, text=text)
        events.emit(case=case, type="message.posted",
                    payload=events.message_payload(message), actor=actor)
    return message
