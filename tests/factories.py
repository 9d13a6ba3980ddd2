"""Building blocks for tests: an organisation, people, and rooms made through services;
queries that several tests check."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db.models import DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Least

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
from casework.accounts.models import Unit, User
from casework.rooms import services
from casework.rooms.choices import RoomRole
from casework.rooms.models import Case

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "correct horse battery staple"
_numbers = itertools.count(1)


@dataclass
class Org:
    city: Unit
    county: Unit
    brigade: Unit
    patrol_unit: Unit
    other_county: Unit
    other_brigade: Unit
    foreign_city: Unit


def make_org() -> Org:
    add = Unit.objects.add_child
    city = Unit.objects.add_root({"name": "测试市公安局", "kind": UnitKind.CITY_BUREAU})
    county = add(city, {"name": "甲县公安局", "kind": UnitKind.COUNTY_BUREAU})
    brigade = add(county, {"name": "甲县刑侦大队", "kind": UnitKind.BRIGADE})
    patrol_brigade = add(county, {"name": "甲县巡特警大队", "kind": UnitKind.BRIGADE})
    patrol_unit = add(patrol_brigade, {"name": "巡逻组901", "kind": UnitKind.PATROL,
                                       "call_sign": "901", "patrol_kind": PatrolKind.CAR})
    other_county = add(city, {"name": "乙县公安局", "kind": UnitKind.COUNTY_BUREAU})
    other_brigade = add(other_county, {"name": "乙县刑侦大队", "kind": UnitKind.BRIGADE})
    foreign_city = Unit.objects.add_root({"name": "外市公安局", "kind": UnitKind.CITY_BUREAU})
    return Org(city, Unit.objects.get(pk=county.pk), Unit.objects.get(pk=brigade.pk),
               Unit.objects.get(pk=patrol_unit.pk), Unit.objects.get(pk=other_county.pk),
               Unit.objects.get(pk=other_brigade.pk), foreign_city)


@cache
def password_hash() -> str:
    # one real PBKDF2 hash per process: hashing per user would cost ~0.3 s each
    return make_password(PASSWORD)


def make_user(username: str, unit: Unit | None, role: str = OrgRole.INVESTIGATOR,
              **extra) -> User:
    return User.objects.create(username=username, display_name=f"{username}名", unit=unit,
                               org_role=role, password=password_hash(), **extra)


@dataclass
class People:
    lead: User
    member: User
    observer: User
    outsider: User
    leader: User          # leadership of the county that owns the room
    other_leader: User    # leadership of the other county
    patrol: User
    spare: User           # not in any room; someone to add


def make_people(org: Org) -> People:
    return People(
        lead=make_user("lead", org.brigade),
        member=make_user("member", org.brigade),
        observer=make_user("observer", org.brigade),
        outsider=make_user("outsider", org.other_brigade),
        leader=make_user("leader", org.county, OrgRole.LEADERSHIP),
        other_leader=make_user("other_leader", org.other_county, OrgRole.LEADERSHIP),
        patrol=make_user("patrol", org.patrol_unit, OrgRole.PATROL),
        spare=make_user("spare", org.brigade),
    )


def make_room(people: People, org: Org, *, number: str | None = None) -> Case:
    """A room led by `lead`, with `member` (may dispatch: no) and `observer`."""
    case = services.create_case(
        actor=people.lead, number=number or f"T-{next(_numbers)} 测试盗窃案",
        title="测试手机店被盗案", category="burglary",
        reported_at=datetime(2021, 12, 4, 4, 43, tzinfo=SH),
        reported_loss=Decimal("12800.00"), owning_unit=org.brigade)
    services.add_member(actor=people.lead, case_id=case.pk, user_id=people.member.pk,
                        role=RoomRole.MEMBER)
    services.add_member(actor=people.lead, case_id=case.pk, user_id=people.observer.pk,
                        role=RoomRole.OBSERVER)
    return case


# a real 1×1 PNG (67 bytes)
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def png_upload(name: str = "scene.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PNG, content_type="image/png")


def csv_upload(text: str, name: str = "calls.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


CALLS_CSV = """caller,callee,start_time,duration_s,cell
13812345678,13987654321,2021-12-04T02:10:00+08:00,65,PH-001
138 1234 5678,+86 139 8765 4321,2021-12-04T02:40:00+08:00,30,PH-001
13987654321,13600001111,2021-12-04 03:05:00,12,PH-002
"""


def recovery_figures(cases: QuerySet[Case]) -> tuple[QuerySet[Case], Decimal]:
    """For data written in bulk (demo history, seed_scale): the cases whose recovered
    value is not the sum of their non-drill recoveries (record_recovery keeps it so), and
    the share of the reported loss recovered, each case counted up to its loss."""
    zero = Value(Decimal(0), output_field=DecimalField(max_digits=14, decimal_places=2))
    sums = cases.annotate(s=Coalesce(Sum("recoveries__value",
                                         filter=Q(recoveries__drill=False)), zero))
    totals = cases.aggregate(loss=Sum("reported_loss"),
                             capped=Sum(Least("recovered_value", "reported_loss")))
    return sums.exclude(recovered_value=F("s")), totals["capped"] / totals["loss"]
