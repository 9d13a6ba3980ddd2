"""The derivation service (memberships → guardian rows) and the access choke point."""

from __future__ import annotations

import pytest

from casework.core.errors import Conflict, NotFound, NotPermitted
from casework.rooms import services
from casework.rooms.access import case_perms, get_case_for_user, visible_cases
from casework.rooms.choices import CasePerm, RoomRole
from casework.rooms.models import CaseUserObjectPermission, Membership
from casework.rooms.permissions import ROLE_PERMS

ALL = {p.value for p in CasePerm}


def held(user, case):
    return set(CaseUserObjectPermission.objects.filter(user=user, content_object=case)
               .values_list("permission__codename", flat=True))


def test_design_table_of_room_roles():
    """DESIGN.md's table, one row per room role."""
    assert {str(p) for p in ROLE_PERMS[RoomRole.LEAD]} == ALL
    assert {str(p) for p in ROLE_PERMS[RoomRole.MEMBER]} == {
        "view_case", "post_case", "analyse_case", "record_arrests"}
    assert {str(p) for p in ROLE_PERMS[RoomRole.OBSERVER]} == {"view_case", "analyse_case"}


def test_rows_follow_membership_changes(people, room):
    assert held(people.lead, room) == ALL
    assert held(people.observer, room) == {"view_case", "analyse_case"}
    membership = Membership.objects.get(case=room, user=people.member)

    services.change_member(actor=people.lead, case_id=room.pk, membership_id=membership.pk,
                           can_dispatch=True)
    assert "dispatch_case" in held(people.member, room)

    services.change_member(actor=people.lead, case_id=room.pk, membership_id=membership.pk,
                           role=RoomRole.OBSERVER)
    assert held(people.member, room) == {"view_case", "analyse_case"}
    assert not Membership.objects.get(pk=membership.pk).can_dispatch

    services.remove_member(actor=people.lead, case_id=room.pk, membership_id=membership.pk)
    assert held(people.member, room) == set()
    with pytest.raises(NotFound):
        get_case_for_user(people.member, room.pk)


def test_leadership_sees_own_units_and_below_only(people, room):
    assert room in visible_cases(people.leader)
    assert case_perms(people.leader, room) == {"view_case", "analyse_case"}
    assert room not in visible_cases(people.other_leader)
    with pytest.raises(NotPermitted):
        get_case_for_user(people.leader, room.pk, CasePerm.POST)


def test_outsider_and_patrol_cannot_learn_the_room_exists(people, room):
    for user in (people.outsider, people.patrol):
        assert room not in visible_cases(user)
        for perm in CasePerm:
            with pytest.raises(NotFound):
                get_case_for_user(user, room.pk, perm)
    with pytest.raises(NotFound):
        get_case_for_user(people.lead, 10**9)
    with pytest.raises(NotFound):
        get_case_for_user(people.lead, "not-a-number")


def test_closed_room_is_read_only(people, room):
    services.close_case(actor=people.lead, case_id=room.pk)
    assert get_case_for_user(people.member, room.pk) == room
    with pytest.raises(Conflict):
        services.post_message(actor=people.member, case_id=room.pk, text="还在吗")
    with pytest.raises(Conflict):
        services.add_member(actor=people.lead, case_id=room.pk, user_id=people.spare.pk,
                            role="member")
    services.reopen_case(actor=people.lead, case_id=room.pk)
    services.post_message(actor=people.member, case_id=room.pk, text="继续")


def test_last_lead_cannot_leave(people, room):
    lead = Membership.objects.get(case=room, user=people.lead)
    with pytest.raises(Conflict):
        services.remove_member(actor=people.lead, case_id=room.pk, membership_id=lead.pk)
    with pytest.raises(Conflict):
        services.change_member(actor=people.lead, case_id=room.pk, membership_id=lead.pk,
                               role=RoomRole.MEMBER)


def test_visible_case_list_is_two_queries_whatever_the_size(people, org,
                                                            django_assert_num_queries):
    """One for the permission's id, one for the cases."""
    from tests.factories import make_room

    for n in (1, 5):
        for _ in range(n):
            make_room(people, org)
        with django_assert_num_queries(2):
            list(visible_cases(people.member))
        with django_assert_num_queries(2):
            list(visible_cases(people.leader))
