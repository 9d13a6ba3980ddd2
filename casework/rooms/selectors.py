"""Read paths of case rooms, always through the access choke point."""

from __future__ import annotations

from django.db.models import QuerySet

from casework.rooms.access import get_case_for_user, visible_cases
from casework.rooms.choices import CasePerm
from casework.rooms.events import TIMELINE_TYPES
from casework.rooms.models import Case, Membership, Message, RoomEvent


def cases_for_list(user, *, search: str = "", status: str = "") -> QuerySet[Case]:
    qs = visible_cases(user, CasePerm.VIEW).select_related("owning_unit")
    if search:
        qs = qs.search(search)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-id")


def room_messages(user, case_id, *, after: int | None = None) -> QuerySet[Message]:
    case = get_case_for_user(user, case_id)
    qs = Message.objects.filter(case=case).select_related("author").order_by("id")
    return qs.filter(id__gt=after) if after is not None else qs


def latest_messages(user, case_id, count: int) -> list[Message]:
    """The room's last `count` messages, oldest first (for the page's first paint)."""
    return list(room_messages(user, case_id).order_by("-id")[:count])[::-1]


def room_members(user, case_id) -> QuerySet[Membership]:
    case = get_case_for_user(user, case_id)
    return Membership.objects.filter(case=case).select_related("user", "user__unit").order_by(
        "id")


def room_timeline(user, case_id) -> QuerySet[RoomEvent]:
    case = get_case_for_user(user, case_id)
    return RoomEvent.objects.filter(case=case, type__in=TIMELINE_TYPES).order_by("seq")


def room_events_after(case_id: int, after: int, limit: int = 500) -> list[dict]:
    """What a reconnecting client missed (the caller has already checked access)."""
    rows = (RoomEvent.objects.filter(case_id=case_id, seq__gt=after).order_by("seq")
            .values_list("payload", flat=True)[:limit])
    return list(rows)
