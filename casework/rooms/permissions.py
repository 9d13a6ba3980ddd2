"""The one place where case object permissions are derived from room memberships.

Guardian rows (CaseUserObjectPermission) are a projection of Membership: this module is
the only writer, so there is no second source of truth to drift. Services call
`sync_case_permissions` in the same transaction as the membership change.
"""

from __future__ import annotations

from django.contrib.auth.models import Permission

from casework.rooms.choices import CasePerm, RoomRole
from casework.rooms.models import Case, CaseUserObjectPermission, Membership

ROLE_PERMS: dict[str, frozenset[str]] = {
    RoomRole.LEAD: frozenset({
        CasePerm.VIEW, CasePerm.POST, CasePerm.ANALYSE, CasePerm.MANAGE_MEMBERS,
        CasePerm.DISPATCH, CasePerm.RECORD_ARRESTS, CasePerm.CLOSE, CasePerm.CHANGE,
    }),
    RoomRole.MEMBER: frozenset({
        CasePerm.VIEW, CasePerm.POST, CasePerm.ANALYSE, CasePerm.RECORD_ARRESTS,
    }),
    RoomRole.OBSERVER: frozenset({CasePerm.VIEW, CasePerm.ANALYSE}),
}


def perms_for_membership(membership: Membership | None) -> frozenset[str]:
    """What a room role (plus the lead-set `can_dispatch` flag) allows."""
    if membership is None:
        return frozenset()
    perms = set(ROLE_PERMS[membership.role])
    if membership.can_dispatch and membership.role == RoomRole.MEMBER:
        perms.add(CasePerm.DISPATCH)
    return frozenset(str(p) for p in perms)


def case_permission_ids(codenames: list[str] | None = None) -> dict[str, int]:
    """codename → auth_permission id for case permissions. Not cached: ids change when a
    test flush re-creates the permission table, and server processes would not know."""
    rows = Permission.objects.filter(
        content_type__app_label=Case._meta.app_label,
        content_type__model=Case._meta.model_name,
        codename__in=codenames or [p.value for p in CasePerm],
    ).values_list("codename", "id")
    return dict(rows)


def sync_case_permissions(*, case_id: int, user_id: int) -> None:
    """Make the user's guardian rows on the case equal what their membership allows."""
    membership = Membership.objects.filter(case_id=case_id, user_id=user_id).first()
    ids = case_permission_ids()
    wanted = {ids[c] for c in perms_for_membership(membership)}
    rows = CaseUserObjectPermission.objects.filter(content_object_id=case_id, user_id=user_id)
    have = set(rows.values_list("permission_id", flat=True))
    if have - wanted:
        rows.filter(permission_id__in=have - wanted).delete()
    CaseUserObjectPermission.objects.bulk_create(
        [CaseUserObjectPermission(content_object_id=case_id, user_id=user_id, permission_id=p)
         for p in wanted - have]
    )
