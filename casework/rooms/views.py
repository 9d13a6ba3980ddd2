"""Pages of case rooms (Django templates; live parts in static/js/room.js)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from casework.accounts.selectors import units_visible_to
from casework.core.errors import NotFound
from casework.rooms import selectors
from casework.rooms.access import case_perms, get_case_for_user
from casework.rooms.choices import CasePerm, CaseStatus, Category, RoomRole
from casework.rooms.events import EVENT_LABELS, subject


@login_required
def case_list(request):
    search = request.GET.get("search", "").strip()
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    cases = selectors.cases_for_list(request.user, search=search, status=status)[:200]
    return render(request, "rooms/case_list.html", {
        "cases": cases, "search": search, "status": status,
        "statuses": CaseStatus.choices, "categories": Category.choices,
        "may_create": request.user.may_create_cases,
        "units": units_visible_to(request.user).exclude(kind="patrol"),
    })


@login_required
def case_room(request, case_id: int):
    try:
        case = get_case_for_user(request.user, case_id)
    except NotFound:
        raise Http404 from None
    perms = case_perms(request.user, case)
    return render(request, "rooms/case_room.html", {
        "case": case,
        "perms": perms,
        "may_post": CasePerm.POST.value in perms and case.is_open,
        "may_manage": CasePerm.MANAGE_MEMBERS.value in perms and case.is_open,
        "may_close": CasePerm.CLOSE.value in perms,
        "may_dispatch": CasePerm.DISPATCH.value in perms and case.is_open,
        "may_record": CasePerm.RECORD_ARRESTS.value in perms and case.is_open,
        "map_tile_url": settings.MAP_TILE_URL,
        "members": selectors.room_members(request.user, case_id),
        "messages": selectors.latest_messages(request.user, case_id, 100),
        "timeline": [(e, EVENT_LABELS.get(e.type, e.type), subject(e.payload))
                     for e in selectors.room_timeline(request.user, case_id)
                     .select_related("actor")],
        "last_event_id": case.event_seq,
        "roles": RoomRole.choices,
        "event_labels": {k: str(v) for k, v in EVENT_LABELS.items()},
        "role_labels": {k: str(v) for k, v in RoomRole.choices},
    })
