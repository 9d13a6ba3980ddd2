"""Room events: typed payload builders, the per-room log, and publishing after commit.

Every payload is a flat dict: `type`, `event_id` (increasing per room), `case_id`, the
object's `id`, then the object's fields. Consumers forward these as they are.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _

from casework.core.publish import send_event_on_commit
from casework.rooms.models import Case, Membership, Message, RoomEvent

# Words shown for each event type on the timeline (translated in the page).
EVENT_LABELS = {
    "case.opened": _("Case opened"),
    "case.updated": _("Case details changed"),
    "case.closed": _("Case closed"),
    "case.reopened": _("Case reopened"),
    "member.added": _("Member added"),
    "member.removed": _("Member removed"),
    "member.changed": _("Member's role changed"),
    "evidence.added": _("Evidence added"),
    "evidence.corrected": _("Evidence corrected"),
    "evidence.withdrawn": _("Evidence withdrawn"),
    "custody.transferred": _("Custody transferred"),
    "entity.added": _("Entity added"),
    "link.added": _("Link added"),
    "import.succeeded": _("Import finished"),
    "entity.merged": _("Entities merged or separated"),
    "access.requested": _("Access to the room requested"),
    "access.granted": _("Access to the room granted"),
    "access.refused": _("Access to the room refused"),
    "series.alert": _("Linked to another case"),
    "assignment.sent": _("Instruction sent"),
    "assignment.delivered": _("Instruction delivered"),
    "assignment.acknowledged": _("Instruction acknowledged"),
    "assignment.en_route": _("Unit en route"),
    "assignment.on_scene": _("Unit on scene"),
    "assignment.completed": _("Assignment completed"),
    "assignment.declined": _("Assignment declined"),
    "assignment.cancelled": _("Assignment cancelled"),
    "assignment.escalated": _("Not acknowledged in time: escalated"),
    "arrest.recorded": _("Arrest recorded"),
    "recovery.recorded": _("Recovery recorded"),
}

def subject(payload: dict) -> str:
    """Who or what an event is about, for the timeline ("member.added" → the new member)."""
    user = payload.get("user") or payload.get("requester")
    if payload.get("type") == "series.alert":
        return (payload.get("entity") or {}).get("key", "")
    if payload.get("type", "").startswith("assignment."):
        return (payload.get("unit") or {}).get("call_sign", "")
    if payload.get("type") == "arrest.recorded":
        return payload.get("name", "")
    if user:
        return user.get("display_name") or user.get("username", "")
    return ""


# Event types that make up the room's timeline (messages have their own stream).
TIMELINE_TYPES = frozenset(EVENT_LABELS)


def room_group(case_id: int) -> str:
    return f"case.{case_id}"


def user_ref(user) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username,
            "display_name": user.display_name or user.username}


def message_payload(message: Message) -> dict[str, Any]:
    return {"id": message.pk, "text": message.text, "author": user_ref(message.author),
            "created_at": message.created_at.isoformat()}


def membership_payload(membership: Membership) -> dict[str, Any]:
    return {"id": membership.pk, "user": user_ref(membership.user), "role": membership.role,
            "can_dispatch": membership.can_dispatch}


def case_payload(case: Case) -> dict[str, Any]:
    return {"id": case.pk, "number": case.number, "title": case.title, "status": case.status}


def emit(*, case: Case, type: str, payload: dict[str, Any], actor=None) -> RoomEvent:
    """Append an event to the room's log and publish it after commit.

    The UPDATE … RETURNING on the case row hands out the next id and holds that row's
    lock until commit, so ids follow commit order and `resume after N` never skips one.
    """
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rooms_case SET event_seq = event_seq + 1 WHERE id = %s "
                       "RETURNING event_seq", [case.pk])
        seq = cursor.fetchone()[0]
    body = {"type": type, "event_id": seq, "case_id": case.pk, **payload,
            "actor": user_ref(actor)}
    event = RoomEvent.objects.create(case=case, seq=seq, type=type, payload=body, actor=actor)
    send_event_on_commit(room_group(case.pk), body)
    return event
