"""The choke point for reading cases: every list, detail, consumer and task asks here.

Three sources of access, all derived, never edited by hand:
- guardian rows written from room memberships (casework.rooms.permissions);
- leadership of a unit sees and analyses the rooms of its unit and everything below it
  (a materialised-path prefix match on the owning unit);
- an access request granted by the room's lead: see and analyse, until it expires
  (checked here at every request, so a lapsed grant needs no clean-up job).
Anything else is invisible: callers turn NotFound into 404 so an outsider cannot even
learn that a room exists.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from casework.accounts.choices import OrgRole
from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.rooms.choices import WRITE_PERMS, CasePerm
from casework.rooms.models import AccessRequest, Case, CaseUserObjectPermission
from casework.rooms.permissions import case_permission_ids

LEADERSHIP_PERMS = frozenset({CasePerm.VIEW.value, CasePerm.ANALYSE.value})


def _is_unit_leader(user) -> bool:
    return user.org_role == OrgRole.LEADERSHIP and user.unit_id is not None


def visible_cases(user, perm: str = CasePerm.VIEW) -> QuerySet[Case]:
    """Cases on which `user` holds `perm` (one SQL query when evaluated)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    perm = str(perm)
    # The permission's id goes in as a literal (one tiny query) rather than a join: with
    # the value known, PostgreSQL plans an index-only scan of guardian's unique
    # (user, permission, object) index; through a join it scanned every row of the
    # permission (bench/case_list.py: 294 ms → 25 ms at 1,000,000 cases).
    permission_id = case_permission_ids([perm]).get(perm)
    granted = CaseUserObjectPermission.objects.filter(
        user_id=user.pk, permission_id=permission_id
    ).values("content_object_id")
    condition = Q(pk__in=granted)
    if perm in LEADERSHIP_PERMS:
        condition |= Q(pk__in=_granted_requests(user).values("case_id"))
        if _is_unit_leader(user):
            condition |= Q(owning_unit__path__startswith=user.unit.path)
    return Case.objects.filter(condition)


def _granted_requests(user):
    return AccessRequest.objects.filter(requester_id=user.pk, status="granted",
                                        expires_at__gt=timezone.now())


def case_perms(user, case: Case) -> frozenset[str]:
    """Every case permission `user` holds on `case`."""
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    held = set(
        CaseUserObjectPermission.objects.filter(user_id=user.pk, content_object_id=case.pk)
        .values_list("permission__codename", flat=True)
    )
    if _is_unit_leader(user) and case.owning_unit.path.startswith(user.unit.path):
        held |= LEADERSHIP_PERMS
    elif _granted_requests(user).filter(case_id=case.pk).exists():
        held |= LEADERSHIP_PERMS
    return frozenset(held)


def get_case_for_user(user, pk, perm: str = CasePerm.VIEW) -> Case:
    """The case, if `user` may open it and holds `perm`.

    Raises NotFound when the room is invisible to the user (reads and writes alike),
    NotPermitted when it is visible but `perm` is not held, Conflict when `perm` writes
    and the room is closed.
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound("no such case") from None
    case = visible_cases(user).select_related("owning_unit").filter(pk=pk).first()
    if case is None:
        raise NotFound("no such case")
    perm = str(perm)
    if perm != CasePerm.VIEW and perm not in case_perms(user, case):
        raise NotPermitted("your role in this room does not allow this")
    if perm in WRITE_PERMS and not case.is_open:
        raise Conflict("the case is closed: its room is read-only until the lead reopens it")
    return case
