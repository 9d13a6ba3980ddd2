"""Read paths of the dispatch loop: which units a room may dispatch, the nearest
available ones, a unit's open assignments, a room's instructions."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from casework.accounts.choices import OrgRole, UnitKind, UnitStatus
from casework.accounts.models import Unit
from casework.core.errors import NotFound
from casework.dispatch.choices import OPEN_STATUSES
from casework.dispatch.models import Assignment, Instruction
from casework.rooms.models import Case

STALE_AFTER = timedelta(minutes=10)
EARTH_RADIUS_M = 6_371_008.8


def bureau_of(unit: Unit) -> Unit:
    """The county (or city) bureau a unit belongs to: the nearest bureau at or above it."""
    prefixes = [unit.path[:end] for end in range(unit.steplen, len(unit.path) + 1,
                                                 unit.steplen)]
    chain = sorted(Unit.objects.filter(path__in=prefixes), key=lambda u: -len(u.path))
    for node in chain:
        if node.kind in (UnitKind.COUNTY_BUREAU, UnitKind.CITY_BUREAU):
            return node
    return chain[-1] if chain else unit


def dispatchable_units(case: Case) -> QuerySet[Unit]:
    """Patrol units of the case's own bureau and below, and those whose commander
    approved the room's request."""
    from django.db.models import Q

    from casework.dispatch.models import UnitRequest

    bureau = bureau_of(case.owning_unit)
    approved = UnitRequest.objects.filter(case=case, status="approved").values("unit_id")
    return Unit.objects.filter(Q(path__startswith=bureau.path) | Q(pk__in=approved),
                               kind=UnitKind.PATROL)


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def suggest(case: Case, lat: float, lon: float, *, exclude=(), limit: int = 5) -> list[dict]:
    """Available units the room may dispatch, nearest first from their last known
    position; a position older than STALE_AFTER is flagged; units with none come last."""
    now = timezone.now()
    units = (dispatchable_units(case).filter(status=UnitStatus.AVAILABLE)
             .exclude(pk__in=list(exclude)))
    out = []
    for unit in units:
        known = unit.lat is not None and unit.lon is not None
        out.append({
            "unit": unit,
            "distance_m": round(distance_m(lat, lon, unit.lat, unit.lon)) if known else None,
            "position_at": unit.position_at,
            "stale": (not known or unit.position_at is None
                      or now - unit.position_at > STALE_AFTER),
        })
    out.sort(key=lambda s: (s["distance_m"] is None, s["distance_m"] or 0, s["unit"].pk))
    return out[:limit]


def nearest_available(instruction: Instruction, exclude=()) -> Unit | None:
    """The next nearest available unit for an instruction (escalation's suggestion)."""
    case = instruction.case
    lat, lon = instruction.lat, instruction.lon
    if lat is None:
        lat, lon = case.lat, case.lon
    if lat is None:
        return None
    found = suggest(case, lat, lon, exclude=exclude, limit=1)
    return found[0]["unit"] if found else None


def open_assignments(unit_id: int) -> QuerySet[Assignment]:
    return (Assignment.objects.filter(unit_id=unit_id, status__in=OPEN_STATUSES)
            .select_related("instruction__case", "instruction__target_entity",
                            "instruction__issued_by", "unit").order_by("id"))


def unit_events_after(unit_id: int, after: int, limit: int = 500) -> list[dict]:
    from casework.dispatch.models import UnitEvent

    return list(UnitEvent.objects.filter(unit_id=unit_id, seq__gt=after).order_by("seq")
                .values_list("payload", flat=True)[:limit])


def is_officer_of(user, unit_id) -> bool:
    """The one rule for the terminal side: a unit's own active patrol officers act for it."""
    return (user is not None and user.is_active and user.org_role == OrgRole.PATROL
            and user.unit_id is not None and user.unit_id == int(unit_id))


def terminal_assignments(user, unit_id: int) -> tuple[list[Assignment], int]:
    """The unit's open assignments and its last event id (read first, so a fresh terminal
    resumes after it and misses nothing); NotFound for anyone but its officers."""
    if not is_officer_of(user, unit_id):
        raise NotFound("no such unit")
    last = (Unit.objects.filter(pk=unit_id).values_list("event_seq", flat=True).first()) or 0
    return list(open_assignments(unit_id)), last
