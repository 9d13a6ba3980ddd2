"""The "12.4 Pinghe Theft" demo scenario, as the Zhangzhou bureau's public report tells it.

A mobile phone shop in Pinghe County was broken into at 04:00 on 4 December 2021; phones
worth more than 10,000 yuan were stolen; the alarm was received at 04:43. The team tied it
to vehicle thefts in Nanjing County the day before. Idempotent: every call adds whatever
part is missing and changes nothing that is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
from casework.accounts.models import Unit, User
from casework.demo import history as demo_history
from casework.entities.models import CaseEntity
from casework.rooms import services as rooms
from casework.rooms.choices import RoomRole
from casework.rooms.models import Case, Membership, Message, RoomEvent
from casework.stats import facts as stats_facts

SH = ZoneInfo("Asia/Shanghai")
PASSWORD = "casework-demo"  # noqa: S105 - published demo password, demo loader only
PINGHE_NUMBER = "12.4 Pinghe Theft"


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@dataclass(frozen=True)
class UnitSpec:
    key: str
    name: str
    name_en: str
    kind: str
    parent: str | None = None
    call_sign: str = ""
    patrol_kind: str = ""
    lat: float | None = None
    lon: float | None = None


_ECHELON_NAMES = {PatrolKind.CAR: ("巡逻组", ""), PatrolKind.MOTORCYCLE: ("摩托巡逻组", " (motorcycle)"),
                  PatrolKind.FOOT: ("步巡组", " (foot)"), PatrolKind.DRONE: ("无人机组", " (drone)")}


def _county_units(key: str, name: str, name_en: str, short: str, short_en: str,
                  echelons: list[tuple[str, str, float, float]]) -> list[UnitSpec]:
    """A county (or district) bureau with its criminal investigation brigade (which owns
    the cases) and patrol special police brigade with its echelons."""
    bureau_en = name_en if "Bureau" in name_en else f"{name_en}, Zhangzhou Public Security Bureau"
    specs = [UnitSpec(key, name, bureau_en, UnitKind.COUNTY_BUREAU, "city"),
             UnitSpec(f"{key}_cid", f"{name}刑事侦查大队", f"{short_en} Criminal Investigation Brigade",
                      UnitKind.BRIGADE, key),
             UnitSpec(f"{key}_patrol", f"{name}巡特警大队",
                      f"{short_en} Patrol Special Police Brigade", UnitKind.BRIGADE, key)]
    for call_sign, kind, lat, lon in echelons:
        suffix, suffix_en = _ECHELON_NAMES[kind]
        specs.append(UnitSpec(f"u{call_sign}", f"{short}巡特警{call_sign}{suffix}",
                              f"{short_en} patrol echelon {call_sign}{suffix_en}", UnitKind.PATROL,
                              f"{key}_patrol", call_sign, kind, lat, lon))
    return specs


# The counties and districts UNITS builds with _county_units: key, name, English name,
# short names, and their echelons (call sign, kind, base position).
_COUNTIES = (
    ("xiangcheng", "漳州市公安局芗城分局", "Xiangcheng Sub-bureau", "芗城", "Xiangcheng", [
        ("111", PatrolKind.CAR, 24.5130, 117.6550), ("112", PatrolKind.CAR, 24.5035, 117.6420),
        ("113", PatrolKind.MOTORCYCLE, 24.5200, 117.6680),
        ("115", PatrolKind.FOOT, 24.5090, 117.6600),
        ("116", PatrolKind.DRONE, 24.5150, 117.6500)]),
    ("longhai", "漳州市公安局龙海分局", "Longhai Sub-bureau", "龙海", "Longhai", [
        ("211", PatrolKind.CAR, 24.4470, 117.8180), ("212", PatrolKind.CAR, 24.5180, 117.9250),
        ("213", PatrolKind.MOTORCYCLE, 24.4420, 117.8050),
        ("215", PatrolKind.CAR, 24.3400, 117.9900)]),
    ("zhangpu", "漳浦县公安局", "Zhangpu County Public Security Bureau", "漳浦", "Zhangpu", [
        ("311", PatrolKind.CAR, 24.1170, 117.6140),
        ("312", PatrolKind.MOTORCYCLE, 24.1250, 117.6050),
        ("313", PatrolKind.CAR, 23.9950, 117.7300), ("315", PatrolKind.DRONE, 24.1100, 117.6200)]),
    ("yunxiao", "云霄县公安局", "Yunxiao County Public Security Bureau", "云霄", "Yunxiao", [
        ("411", PatrolKind.CAR, 23.9570, 117.3400),
        ("412", PatrolKind.MOTORCYCLE, 23.9500, 117.3320),
        ("413", PatrolKind.FOOT, 23.9600, 117.3450)]),
    ("zhaoan", "诏安县公安局", "Zhao'an County Public Security Bureau", "诏安", "Zhao'an", [
        ("511", PatrolKind.CAR, 23.7110, 117.1750), ("512", PatrolKind.CAR, 23.7000, 117.1900),
        ("513", PatrolKind.MOTORCYCLE, 23.7150, 117.1680),
        ("515", PatrolKind.FOOT, 23.7080, 117.1800)]),
)


UNITS = [
    UnitSpec("city", "漳州市公安局", "Zhangzhou Municipal Public Security Bureau",
             UnitKind.CITY_BUREAU),
    UnitSpec("pinghe", "平和县公安局", "Pinghe County Public Security Bureau",
             UnitKind.COUNTY_BUREAU, "city"),
    UnitSpec("nanjing", "南靖县公安局", "Nanjing County Public Security Bureau",
             UnitKind.COUNTY_BUREAU, "city"),
    UnitSpec("pinghe_patrol", "平和县公安局巡特警大队", "Pinghe Patrol Special Police Brigade",
             UnitKind.BRIGADE, "pinghe"),
    UnitSpec("pinghe_cid", "平和县公安局刑事侦查大队", "Pinghe Criminal Investigation Brigade",
             UnitKind.BRIGADE, "pinghe"),
    UnitSpec("xiaoxi", "平和县公安局小溪派出所", "Xiaoxi Police Station", UnitKind.STATION,
             "pinghe"),
    UnitSpec("nanjing_cid", "南靖县公安局刑事侦查大队", "Nanjing Criminal Investigation Brigade",
             UnitKind.BRIGADE, "nanjing"),
    UnitSpec("shancheng", "南靖县公安局山城派出所", "Shancheng Police Station", UnitKind.STATION,
             "nanjing"),
    UnitSpec("u621", "巡特警621巡逻组", "Patrol echelon 621", UnitKind.PATROL, "pinghe_patrol",
             "621", PatrolKind.CAR, 24.3650, 117.3130),
    UnitSpec("u622", "巡特警622巡逻组", "Patrol echelon 622", UnitKind.PATROL, "pinghe_patrol",
             "622", PatrolKind.CAR, 24.3721, 117.3020),
    UnitSpec("u623", "巡特警623摩托巡逻组", "Patrol echelon 623 (motorcycle)", UnitKind.PATROL,
             "pinghe_patrol", "623", PatrolKind.MOTORCYCLE, 24.3588, 117.3215),
    UnitSpec("u625", "巡特警625无人机组", "Patrol echelon 625 (drone)", UnitKind.PATROL,
             "pinghe_patrol", "625", PatrolKind.DRONE, 24.3602, 117.3100),
    UnitSpec("u731", "南靖731巡逻组", "Nanjing patrol echelon 731", UnitKind.PATROL,
             "shancheng", "731", PatrolKind.CAR, 24.5150, 117.3660),
    # The rest of Zhangzhou's demo tree: the counties and districts whose year of history
    # the statistics show (casework.demo.history). Positions are the echelons' bases, in
    # the district seats, inside the outlines of static/geo/zhangzhou-demo.geojson.
    UnitSpec("nanjing_patrol", "南靖县公安局巡特警大队", "Nanjing Patrol Special Police Brigade",
             UnitKind.BRIGADE, "nanjing"),
    UnitSpec("u732", "南靖732巡逻组", "Nanjing patrol echelon 732", UnitKind.PATROL,
             "nanjing_patrol", "732", PatrolKind.CAR, 24.5095, 117.3575),
    UnitSpec("u733", "南靖733摩托巡逻组", "Nanjing patrol echelon 733 (motorcycle)",
             UnitKind.PATROL, "nanjing_patrol", "733", PatrolKind.MOTORCYCLE, 24.5190, 117.3700),
    *(spec for county in _COUNTIES for spec in _county_units(*county)),
]


@dataclass(frozen=True)
class UserSpec:
    username: str
    display_name: str
    unit: str | None
    role: str
    superuser: bool = False


USERS = [
    UserSpec("lead", "林志强", "pinghe_cid", OrgRole.INVESTIGATOR),
    UserSpec("investigator", "陈晓东", "pinghe_cid", OrgRole.INVESTIGATOR),
    UserSpec("observer", "黄丽娜", "xiaoxi", OrgRole.INVESTIGATOR),
    UserSpec("outsider", "王建国", "nanjing_cid", OrgRole.INVESTIGATOR),
    UserSpec("patrol", "张伟", "u621", OrgRole.PATROL),
    UserSpec("patrol_officer2", "李明辉", "pinghe_patrol", OrgRole.INVESTIGATOR),
    UserSpec("xiaoxi_officer", "吴海波", "xiaoxi", OrgRole.INVESTIGATOR),
    UserSpec("leader", "郑国华", "city", OrgRole.LEADERSHIP),
    UserSpec("county_leader", "曾庆福", "pinghe", OrgRole.LEADERSHIP),
    UserSpec("admin", "系统管理员", "city", OrgRole.ADMIN, superuser=True),
]

# The Pinghe room: who is in it, and the thread of the day (Asia/Shanghai times).
PINGHE_MEMBERS = [
    ("investigator", RoomRole.MEMBER, False),
    ("patrol_officer2", RoomRole.MEMBER, True),
    ("xiaoxi_officer", RoomRole.MEMBER, False),
    ("observer", RoomRole.OBSERVER, False),
]
PINGHE_THREAD = [
    ("lead", sh(2021, 12, 4, 4, 52), "04:43接警：小溪镇一手机店凌晨被撬，多部手机被盗，价值一万余元。合成作战室已开设，请各单位进入。"),
    ("patrol_officer2", sh(2021, 12, 4, 5, 6), "巡特警大队621、622已到现场周边，封控路口，现场已移交刑侦勘查。"),
    ("investigator", sh(2021, 12, 4, 6, 40), "现场提取到撬痕和足迹，店内监控拍到5名嫌疑人，04:00左右进入，04:12离开。"),
    ("xiaoxi_officer", sh(2021, 12, 4, 7, 15), "小溪派出所走访周边商户，一家早餐店监控拍到一辆无牌面包车往县城方向。"),
    ("investigator", sh(2021, 12, 4, 9, 30), "沿线卡口比对：面包车03:20由南靖方向进入平和，车型与南靖县12月3日被盗车辆一致。"),
    ("lead", sh(2021, 12, 4, 10, 5), "请南靖县局协查3日车辆被盗案，串并研判。话单分析组调取案发时段基站数据。"),
    ("investigator", sh(2021, 12, 4, 12, 50), "结合视频和话单，5名嫌疑人身份已锁定，落脚点在县城西郊出租屋。"),
    ("lead", sh(2021, 12, 4, 13, 10), "准备抓捕方案，巡特警、刑侦、小溪所联合行动，注意嫌疑人可能持械。"),
]

# Earlier vehicle thefts in Nanjing County on 3 December, led by `outsider`.
NANJING_CASES = [
    ("12.3 Nanjing Vehicle Theft 1", "山城镇面包车被盗案", sh(2021, 12, 3, 1, 20),
     "南靖县山城镇", Decimal("38000")),
    ("12.3 Nanjing Vehicle Theft 2", "靖城镇摩托车被盗案", sh(2021, 12, 3, 2, 5),
     "南靖县靖城镇", Decimal("6500")),
    ("12.3 Nanjing Vehicle Theft 3", "丰田镇电动车被盗案", sh(2021, 12, 3, 3, 40),
     "南靖县丰田镇", Decimal("3200")),
]


def _units() -> dict[str, Unit]:
    made: dict[str, Unit] = {}
    for spec in UNITS:
        parent = made.get(spec.parent) if spec.parent else None
        siblings = (Unit.objects.get_children(parent) if parent
                    else Unit.objects.get_root_nodes())
        unit = siblings.filter(name=spec.name).first()
        if unit is None:
            fields = dict(name=spec.name, name_en=spec.name_en, kind=spec.kind,
                          call_sign=spec.call_sign, patrol_kind=spec.patrol_kind,
                          lat=spec.lat, lon=spec.lon,
                          position_at=sh(2021, 12, 4, 4, 45) if spec.lat else None)
            # re-read the parent: a sorted insertion may have moved it since (treebeard
            # computes the child's path from the parent's path and numchild)
            unit = (Unit.objects.add_child(Unit.objects.get(pk=parent.pk), fields) if parent
                    else Unit.objects.add_root(fields))
        made[spec.key] = unit
    # and every unit as it is now, paths included
    fresh = Unit.objects.in_bulk([u.pk for u in made.values()])
    return {key: fresh[u.pk] for key, u in made.items()}


def _users(units: dict[str, Unit]) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User(username=spec.username, display_name=spec.display_name,
                        unit=units[spec.unit] if spec.unit else None, org_role=spec.role,
                        is_staff=spec.superuser, is_superuser=spec.superuser)
            user.set_password(PASSWORD)
            user.save()
        users[spec.username] = user
    return users


def _pinghe_room(units, users) -> Case:
    case = Case.objects.filter(number=PINGHE_NUMBER).first()
    if case is None:
        case = rooms.create_case(
            actor=users["lead"], number=PINGHE_NUMBER, title="平和县小溪镇手机店被盗案",
            category="burglary", reported_at=sh(2021, 12, 4, 4, 43),
            opened_at=sh(2021, 12, 4, 4, 50), reported_loss=Decimal("12800.00"),
            location="平和县小溪镇某手机店", owning_unit=units["pinghe_cid"],
            lat=24.3637, lon=117.3139)
        _backdate(case, sh(2021, 12, 4, 4, 50))
    for username, role, can_dispatch in PINGHE_MEMBERS:
        if not Membership.objects.filter(case=case, user=users[username]).exists():
            membership = rooms.add_member(actor=users["lead"], case_id=case.pk,
                                          user_id=users[username].pk, role=role,
                                          can_dispatch=can_dispatch)
            _backdate_event(case, "member.added", membership.pk, sh(2021, 12, 4, 4, 51))
    for username, at, text in PINGHE_THREAD:
        if not Message.objects.filter(case=case, text=text).exists():
            message = rooms.post_message(actor=users[username], case_id=case.pk, text=text)
            Message.objects.filter(pk=message.pk).update(created_at=at)
            _backdate_event(case, "message.posted", message.pk, at)
    return case


def _nanjing_rooms(units, users) -> None:
    for number, title, reported_at, place, loss in NANJING_CASES:
        if Case.objects.filter(number=number).exists():
            continue
        case = rooms.create_case(actor=users["outsider"], number=number, title=title,
                                 category="theft", reported_at=reported_at,
                                 opened_at=reported_at + timedelta(minutes=20),
                                 reported_loss=loss, location=place,
                                 owning_unit=units["nanjing_cid"])
        _backdate(case, reported_at + timedelta(minutes=20))


def _joint_investigation(users) -> None:
    """Pinghe asked Nanjing to assist (协查) with the van's theft: Nanjing's lead brought
    Pinghe's lead into that room. The second Nanjing theft stays closed to Pinghe, so its
    link shows up masked, with an access request, as need-to-know wants."""

    van_case = Case.objects.get(number=NANJING_CASES[0][0])
    if not Membership.objects.filter(case=van_case, user=users["lead"]).exists():
        rooms.add_member(actor=users["outsider"], case_id=van_case.pk,
                         user_id=users["lead"].pk, role=RoomRole.MEMBER)


def _backdate(case: Case, at: datetime) -> None:
    """The demo replays 2021: stamp the opening event with the time it happened."""
    RoomEvent.objects.filter(case=case, type="case.opened").update(at=at)


def _backdate_event(case: Case, type_: str, object_id: int, at: datetime) -> None:
    RoomEvent.objects.filter(case=case, type=type_, payload__id=object_id).update(at=at)


def load(*, history: bool = True) -> dict[str, int]:
    """Add whatever part of the scenario is missing; return what exists afterwards.
    `history=False` leaves out the year of history (tests of the rooms need only the day)."""
    with transaction.atomic():
        units = _units()
        users = _users(units)
    # each room in one transaction: a failure leaves no half-built room behind
    with transaction.atomic():
        _pinghe_room(units, users)
    with transaction.atomic():
        _nanjing_rooms(units, users)
    with transaction.atomic():
        _pinghe_evidence(Case.objects.get(number=PINGHE_NUMBER), users)
    with transaction.atomic():
        _nanjing_evidence(users)
    with transaction.atomic():
        _joint_investigation(users)
    with transaction.atomic():
        _pinghe_capture(Case.objects.get(number=PINGHE_NUMBER), units, users)
    # a year of history for the statistics (one transaction of its own, written once)
    if history:
        demo_history.load(units, users["lead"],
                          reserved_keys={_id_number(first17)
                                         for _n, first17, _p in SUSPECTS})
    with transaction.atomic():
        # "five suspects locked by 12:50" (the loader marks them as it runs, today): the
        # time to lock suspects counts to this. By the case's id, not a join on its number:
        # on a fresh database (tables just filled, never analysed) PostgreSQL 18 planned
        # the join's UPDATE as a nested loop over every entity of the history for each
        # one, and `make demo` and the demo test hung there.
        pinghe = Case.objects.values_list("pk", flat=True).get(number=PINGHE_NUMBER)
        CaseEntity.objects.filter(case_id=pinghe, role="suspect").update(
            suspect_since=sh(2021, 12, 4, 12, 50))
        # the steps above backdate rows with update() and bulk writes, which pass no
        # signals: the statistics are recomputed from what is there now
        stats_facts.rebuild()
    return {"units": Unit.objects.count(), "users": User.objects.count(),
            "cases": Case.objects.count()}


# --- evidence, entities and links (the field work of 4 December) --------------------------

SUSPECTS = [  # name, 17 digits of a resident ID (the check digit is computed), phone
    ("赖某某", "35062819920314003", "13859601234"),
    ("曾某某", "35062819950722001", "13959605678"),
    ("朱某", "35062719980105002", "15880601111"),
    ("林某某", "35062719910930004", "18759602222"),
    ("黄某", "35062819970611005", "13655963333"),
]
VAN_PLATE = "闽E·3J721"   # the van stolen in Nanjing County on 3 December
SIGHTINGS_CSV = """车牌,卡口,时间,纬度,经度,地点
闽E·3J721,NJ-K-07,2021-12-03T23:58:00+08:00,24.5102,117.3581,南靖县山城镇出口卡口
闽E·3J721,PH-K-01,2021-12-04T03:20:00+08:00,24.3702,117.3121,平和县城入口卡口
闽E·3J721,PH-K-03,2021-12-04T03:52:00+08:00,24.3641,117.3135,小溪镇中山街卡口
闽E·3J721,PH-K-03,2021-12-04T04:16:00+08:00,24.3641,117.3135,小溪镇中山街卡口
闽E·3J721,PH-K-05,2021-12-04T04:40:00+08:00,24.3805,117.2950,平和县城西郊路口
"""


def _calls_csv() -> str:
    phones = [s[2] for s in SUSPECTS]
    rows = ["主叫,被叫,开始时间,通话时长,基站"]
    times = ["2021-12-03T21:05:00", "2021-12-03T22:40:00", "2021-12-04T03:12:00",
             "2021-12-04T03:30:00", "2021-12-04T04:18:00", "2021-12-04T04:25:00",
             "2021-12-04T06:02:00"]
    pairs = [(0, 1), (0, 2), (0, 1), (1, 3), (0, 4), (2, 4), (3, 0)]
    for (a, b), at in zip(pairs, times, strict=True):
        rows.append(f"{phones[a]},{phones[b]},{at}+08:00,{45 + 7 * a},PH-XX-{a + 1:02d}")
    return "\n".join(rows) + "\n"


def _id_number(first17: str) -> str:
    from stdnum.cn import ric

    # stdnum wants the number with a (placeholder) check digit in place
    return first17 + ric.calc_check_digit(first17 + "0")


def _pinghe_evidence(case: Case, users) -> None:
    from casework.entities import imports as entity_imports
    from casework.entities import services as entity_services
    from casework.evidence import services as evidence_services
    from casework.evidence.models import EvidenceItem

    if EvidenceItem.objects.filter(case=case).exists():
        return
    lead, investigator = users["lead"], users["investigator"]
    cctv = evidence_services.add_evidence(
        actor=investigator, case_id=case.pk, kind="cctv_sighting",
        description="店内监控：04:00五名男子撬开卷帘门进入，04:12携手机离开，上一辆无牌面包车",
        place="平和县小溪镇某手机店", lat=24.3637, lon=117.3139,
        collected_at=sh(2021, 12, 4, 6, 40))
    entity_imports.import_now(actor=investigator, case_id=case.pk, kind="sightings",
                              data=SIGHTINGS_CSV.encode(), name="卡口过车记录-1204.csv")
    entity_imports.import_now(actor=investigator, case_id=case.pk, kind="calls",
                              data=_calls_csv().encode(), name="嫌疑人话单-1204.csv")
    van = entity_services.add_entity(actor=investigator, case_id=case.pk, kind="vehicle",
                                     value=VAN_PLATE, label="作案面包车（南靖被盗）")
    for name, first17, phone in SUSPECTS:
        person = entity_services.add_entity(
            actor=lead, case_id=case.pk, kind="person", value=name, label=name,
            role="suspect", details={"id_number": _id_number(first17)}, evidence_id=cctv.pk)
        handset = entity_services.add_entity(actor=lead, case_id=case.pk, kind="phone",
                                             value=phone, label=f"{name}手机")
        entity_services.add_link(actor=lead, case_id=case.pk, kind="USES",
                                 source=person.entity_id, target=handset.entity_id,
                                 evidence_id=cctv.pk)
        if name == SUSPECTS[0][0]:
            entity_services.add_link(actor=lead, case_id=case.pk, kind="DRIVES",
                                     source=person.entity_id, target=van.entity_id,
                                     evidence_id=cctv.pk)
    EvidenceItem.objects.filter(case=case).update(collected_at=sh(2021, 12, 4, 9, 30))


def _nanjing_evidence(users) -> None:
    from casework.entities import services as entity_services
    from casework.evidence import services as evidence_services
    from casework.evidence.models import EvidenceItem

    case = Case.objects.get(number=NANJING_CASES[0][0])
    if EvidenceItem.objects.filter(case=case).exists():
        return
    outsider = users["outsider"]
    report = evidence_services.add_evidence(
        actor=outsider, case_id=case.pk, kind="witness_statement",
        description="车主报案：停放在山城镇的面包车于凌晨被盗", place="南靖县山城镇",
        collected_at=sh(2021, 12, 3, 7, 30))
    van = entity_services.add_entity(actor=outsider, case_id=case.pk, kind="vehicle",
                                     value="闽E 3J721", label="被盗面包车")
    owner = entity_services.add_entity(actor=outsider, case_id=case.pk, kind="person",
                                       value="车主郑某", label="车主郑某", role="victim")
    entity_services.add_link(actor=outsider, case_id=case.pk, kind="DRIVES",
                             source=owner.entity_id, target=van.entity_id,
                             evidence_id=report.pk)
    # the second Nanjing theft: a suspect's phone called the victim's shop line
    second = Case.objects.get(number=NANJING_CASES[1][0])
    if not EvidenceItem.objects.filter(case=second).exists():
        calls = evidence_services.add_evidence(
            actor=outsider, case_id=second.pk, kind="call_records",
            description="案发前后现场周边可疑号码", collected_at=sh(2021, 12, 3, 9, 0))
        phone = entity_services.add_entity(actor=outsider, case_id=second.pk, kind="phone",
                                           value=SUSPECTS[2][2], label="可疑号码")
        shop = entity_services.add_entity(actor=outsider, case_id=second.pk, kind="phone",
                                          value="0596-7123456", label="摩托车行座机")
        entity_services.add_link(actor=outsider, case_id=second.pk, kind="CALLED",
                                 source=phone.entity_id, target=shop.entity_id,
                                 evidence_id=calls.pk, count=2)


# --- the capture (4 December, afternoon) ------------------------------------------------

ARREST_AT = sh(2021, 12, 4, 18, 30)   # 13 h 47 min after the alarm at 04:43
HIDEOUT = ("平和县小溪镇西山村某出租屋", 24.3555, 117.2940)


def _pinghe_capture(case: Case, units, users) -> None:
    """The instructions of the day and the five arrests at 18:30. Written through the
    services (audit rows, events), then stamped with the times they happened."""
    from casework.dispatch import services as dispatch
    from casework.dispatch.models import Arrest, Assignment, Instruction

    if Instruction.objects.filter(case=case).exists():
        return
    lead, patrol = users["lead"], users["patrol"]
    suspects = list(CaseEntity.objects.filter(case=case, role="suspect",
                                              entity__kind="person").order_by("id"))
    place, lat, lon = HIDEOUT
    capture = dispatch.issue_instruction(
        actor=lead, case_id=case.pk, kind="capture", priority="urgent",
        units=[units["u621"].pk], target_entity=suspects[0].entity_id if suspects else None,
        text="五名嫌疑人藏匿于小溪镇西山村出租屋，621组立即前往布控，待合成作战室指令后抓捕。",
        lat=lat, lon=lon, place=place, ack_deadline_s=60)
    intercept = dispatch.issue_instruction(
        actor=lead, case_id=case.pk, kind="intercept", priority="high",
        units=[units["u623"].pk], text="在平和往南靖方向出口卡口拦截面包车闽E·3J721。",
        lat=24.3920, lon=117.3300, place="平和县城北出口", ack_deadline_s=120)
    assignment = capture.assignments.get()
    steps = [("delivered", sh(2021, 12, 4, 12, 52, 20), None),
             ("acknowledged", sh(2021, 12, 4, 12, 52, 45), (24.3651, 117.3129)),
             ("en_route", sh(2021, 12, 4, 12, 53), None),
             ("on_scene", sh(2021, 12, 4, 18, 22), (lat, lon))]
    for status, _at, position in steps:
        dispatch.transition(actor=patrol, assignment_id=assignment.pk, status=status,
                            lat=position[0] if position else None,
                            lon=position[1] if position else None)
    for ce in suspects:
        dispatch.record_arrest(actor=patrol, case_id=case.pk, arrested_at=ARREST_AT,
                               person=ce.entity_id, place=place, lat=lat, lon=lon,
                               assignment=assignment.pk)
    dispatch.transition(actor=patrol, assignment_id=assignment.pk, status="completed",
                        result="captured")
    dispatch.record_recovery(actor=patrol, case_id=case.pk, items="被盗手机12部",
                             value=Decimal("9800.00"), recovered_at=sh(2021, 12, 4, 18, 45),
                             assignment=assignment.pk)
    dispatch.cancel_instruction(actor=lead, instruction_id=intercept.pk)
    # the times of the day
    issued = sh(2021, 12, 4, 12, 52)
    Instruction.objects.filter(pk=capture.pk).update(issued_at=issued)
    Instruction.objects.filter(pk=intercept.pk).update(issued_at=sh(2021, 12, 4, 13, 5))
    stamps = {f"{status}_at": at for status, at, _p in steps}
    Assignment.objects.filter(pk=assignment.pk).update(
        sent_at=issued, ack_deadline_at=issued + timedelta(seconds=60),
        completed_at=sh(2021, 12, 4, 18, 40), updated_at=sh(2021, 12, 4, 18, 40), **stamps)
    Assignment.objects.filter(instruction=intercept).update(
        sent_at=sh(2021, 12, 4, 13, 5), ack_deadline_at=sh(2021, 12, 4, 13, 7),
        cancelled_at=sh(2021, 12, 4, 18, 45), updated_at=sh(2021, 12, 4, 18, 45))
    Arrest.objects.filter(case=case).update(recorded_at=sh(2021, 12, 4, 18, 50))
    times = {"assignment.sent": issued, **{f"assignment.{st}": at for st, at, _p in steps},
             "assignment.completed": sh(2021, 12, 4, 18, 40),
             "assignment.cancelled": sh(2021, 12, 4, 18, 45),
             "arrest.recorded": sh(2021, 12, 4, 18, 50),
             "recovery.recorded": sh(2021, 12, 4, 18, 50)}
    for type_, at in times.items():
        RoomEvent.objects.filter(case=case, type=type_).update(at=at)
    for a in Assignment.objects.filter(instruction=intercept):
        _backdate_event(case, "assignment.sent", a.pk, sh(2021, 12, 4, 13, 5))
