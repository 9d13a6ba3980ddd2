"""A year of history for Zhangzhou's units, so that the leadership dashboard has something
true to show: the cases of the 365 days before the load, each told from the alarm to the
arrests, as the rooms would have recorded it.

For each county or district of the demo tree (casework.demo.scenario.UNITS):
- cases over the year in realistic categories, alarms with each category's day/night
  pattern, the reported loss;
- 1–5 suspects per case, persons with valid resident ID numbers, marked suspect minutes to
  hours after the alarm (CaseEntity, role `suspect`, `suspect_since`);
- capture instructions to the county's patrol echelons, each assignment stamped step by
  step: delivered in seconds, acknowledged within the 60 s deadline in over 99 % of cases
  (the rest escalated, and some of those reassigned to the suggested unit), on scene
  minutes later, completed about an hour and a half after it was sent; a few declined (the
  room sends the instruction to another unit), some not found (a follow-up instruction
  hours or days later), a few fugitives never caught;
- the arrests under the assignments that made them, recoveries (about 78 % of the
  reported loss overall), and the case's recovered value equal to the sum of its
  recoveries, drills apart;
- a drill every six weeks or so per county (an instruction marked drill in a room open at
  the time, with its drill arrest), counted apart by the statistics;
- most cases closed, the recent ones and those with fugitives often still open.
Two cases have an arrest made on the spot before the case was opened in the system, one
recovered more than it lost (stolen goods of other burglaries found with the suspects),
and `lead` leads a few of Pinghe's rooms.

Nothing here goes through the services one by one (tens of thousands of calls, each with
its audit row and events): the rows are written with bulk_create in one transaction,
keeping the invariants the services keep. The history ends at the load time (`now`), so
the last 30 days always have data; a seeded random makes it the same for the same `now`. History
rooms carry no evidence, messages or room events; their suspects' involvements go to the
graph outbox like any room's.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from stdnum.cn import ric
from stdnum.exceptions import ValidationError as Invalid

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
from casework.accounts.models import Unit, User
from casework.dispatch.models import Arrest, Assignment, Escalation, Instruction, Recovery
from casework.entities.models import CaseEntity
from casework.entities.outbox import enqueue_involvement_ids
from casework.entities.services import ensure_entities
from casework.rooms.choices import CaseStatus, RoomRole
from casework.rooms.models import Case, CaseUserObjectPermission, Membership
from casework.rooms.permissions import case_permission_ids, perms_for_membership

SH = ZoneInfo("Asia/Shanghai")
PREFIX = "ZZ-"            # history case numbers: ZZ-<year>-<division code>-<nnnn>
DAYS = 365
ACK_DEADLINE_S = 60
RECOVERY_TARGET = 0.78    # recovered (up to the loss) / reported loss, all history cases


@dataclass(frozen=True)
class County:
    key: str              # the bureau's key in scenario.UNITS
    name: str             # as it appears in titles and places
    code: str             # administrative division code (case numbers, resident IDs)
    cases: int            # cases in the year
    towns: tuple[str, ...]
    id_codes: tuple[str, ...] = ()   # division codes on its residents' ID cards


COUNTIES = [
    County("xiangcheng", "芗城区", "350602", 430,
           ("南坊街道", "西桥街道", "东铺头街道", "巷口街道", "通北街道", "新桥街道", "浦南镇",
            "天宝镇", "芝山镇", "石亭镇")),
    # Longhai became a district of Zhangzhou in 2021; ID numbers of its people carry the
    # code of Longhai City (from 1993) or of Longhai County (before)
    County("longhai", "龙海区", "350604", 400,
           ("石码街道", "海澄镇", "角美镇", "白水镇", "浮宫镇", "港尾镇", "东园镇", "榜山镇",
            "紫泥镇", "程溪镇"), ("350681", "350625")),
    County("zhangpu", "漳浦县", "350623", 350,
           ("绥安镇", "旧镇镇", "佛昙镇", "杜浔镇", "深土镇", "赤岭畲族乡", "六鳌镇", "官浔镇",
            "霞美镇", "前亭镇")),
    County("zhaoan", "诏安县", "350624", 260,
           ("南诏镇", "四都镇", "梅岭镇", "深桥镇", "太平镇", "霞葛镇", "官陂镇", "金星乡",
            "西潭镇")),
    County("pinghe", "平和县", "350628", 250,
           ("小溪镇", "文峰镇", "山格镇", "坂仔镇", "安厚镇", "南胜镇", "九峰镇", "芦溪镇",
            "霞寨镇", "国强乡", "崎岭乡")),
    County("yunxiao", "云霄县", "350622", 210,
           ("云陵镇", "莆美镇", "火田镇", "列屿镇", "东厦镇", "陈岱镇", "马铺乡", "下河乡")),
    County("nanjing", "南靖县", "350627", 200,
           ("山城镇", "靖城镇", "龙山镇", "丰田镇", "金山镇", "船场镇", "书洋镇", "梅林镇",
            "和溪镇")),
]

# hour-of-day weights of alarms (Asia/Shanghai, 0–23)
NIGHT = (9, 9, 8, 7, 6, 4, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4, 5, 6, 7, 8)
STREET = (5, 4, 4, 3, 3, 2, 2, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 5)
OFFICE = (1, 1, .5, .5, .5, .5, 1, 2, 4, 6, 7, 7, 6, 6, 7, 7, 6, 5, 4, 3, 3, 2, 2, 1)
EVENING = (6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 7)
DAYTIME = (2, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 3, 2)


@dataclass(frozen=True)
class Category:
    value: str
    share: float
    hours: tuple[float, ...]
    titles: tuple[str, ...]           # "{town}" and the place or kind
    loss: tuple[float, float, float]  # median CNY, sigma, share of cases with a loss
    suspects: tuple[int, ...]         # weights of 1–5 suspects
    lock_h: float                     # median hours from the alarm to the first suspect
    items: tuple[str, ...] = ()       # what is recovered
    recovered: tuple[float, float] = (5.0, 1.3)   # beta of the share recovered


CATEGORIES = [
    Category("theft", .33, STREET,
             ("{town}某电动车停放点盗窃案", "{town}农贸市场扒窃案", "{town}某小区地下车库盗窃案",
              "{town}某公交站扒窃案", "{town}某工地电缆被盗案", "{town}某商场手机被盗案"),
             (2500, .9, .97), (62, 24, 9, 3, 2), 3.0,
             ("被盗电动车1辆", "被盗手机2部", "被盗现金", "被盗摩托车1辆", "被盗电缆一批")),
    Category("burglary", .14, NIGHT,
             ("{town}某手机店被盗案", "{town}某小区入室盗窃案", "{town}某五金店被盗案",
              "{town}某超市被盗案", "{town}某茶叶店被盗案", "{town}某厂房被盗案"),
             (6000, 1.0, .95), (50, 28, 13, 6, 3), 3.5,
             ("被盗手机若干部", "被盗金饰", "被盗现金及首饰", "被盗茶叶", "被盗电脑2台")),
    Category("fraud", .22, OFFICE,
             ("{town}刷单返利诈骗案", "{town}冒充客服诈骗案", "{town}虚假投资理财诈骗案",
              "{town}冒充公检法诈骗案", "{town}网络贷款诈骗案", "{town}冒充熟人诈骗案"),
             (18000, 1.2, 1.0), (35, 25, 18, 12, 10), 10.0,
             ("止付冻结并返还涉案资金", "追缴赃款"), (3.0, 1.5)),
    Category("robbery", .05, EVENING,
             ("{town}街头抢劫案", "{town}某便利店抢劫案", "{town}飞车抢夺案"),
             (1800, .9, .9), (45, 33, 14, 5, 3), 1.5,
             ("被抢手机1部", "被抢现金", "被抢金项链1条")),
    Category("assault", .12, EVENING,
             ("{town}某大排档故意伤害案", "{town}某KTV故意伤害案", "{town}邻里纠纷故意伤害案"),
             (0, 0, 0), (60, 25, 10, 3, 2), .7),
    Category("drugs", .06, DAYTIME,
             ("{town}贩卖毒品案", "{town}某出租屋容留他人吸毒案"),
             (0, 0, 0), (55, 28, 12, 3, 2), 2.0),
    Category("homicide", .01, EVENING, ("{town}故意杀人案",), (0, 0, 0), (80, 15, 5, 0, 0), 1.5),
    Category("other", .07, DAYTIME,
             ("{town}寻衅滋事案", "{town}故意毁坏财物案", "{town}某网吧聚众斗殴案"),
             (800, 1.0, .3), (60, 25, 10, 3, 2), 1.0, ("损毁财物赔偿款",), (2.0, 2.0)),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余庄苏"
GIVEN_M = ("伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "志强", "建华", "晓东", "国平",
           "文斌", "海波", "俊杰", "振宇", "少华", "建龙", "永福", "金水", "清泉", "水生", "志明")
GIVEN_F = ("芳", "娜", "敏", "静", "艳", "秀英", "海燕", "丽娟", "春梅", "美玲", "雅婷", "淑珍")
DECLINE_REASONS = ("正在处置其他警情", "车辆故障，无法出动", "警力不足，正在换班",
                   "距离过远，已请求就近警力")
# Persons from elsewhere turn up too: division codes of Xiamen, Quanzhou, Fuzhou and of
# the provinces many migrant workers come from
OUTSIDER_CODES = ("350203", "350211", "350524", "350121", "350583", "522132", "452226",
                  "430524", "511381", "445122")
# case index in its county → the suspect was caught in the act, before the room existed
CAUGHT_IN_THE_ACT = {"xiangcheng": 37, "longhai": 52}
LEAD_ROOMS = ("pinghe", 42)   # every 42nd of Pinghe's history cases is led by `lead`
# what would happen after the load minus this has not happened yet
HORIZON = timedelta(minutes=2)


# ---- who ------------------------------------------------------------------------------

@dataclass
class Staff:
    """The county's people the history names: detectives who open and lead the rooms,
    and one officer per echelon who records its arrests and recoveries."""

    detectives: list[User]
    officers: dict[int, User]   # echelon id → its officer


def _name(rng: random.Random, female: bool = False) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_F if female else GIVEN_M)


def _staff(county: County, cid: Unit, echelons: list[Unit]) -> Staff:
    """Create whichever history staff is missing. No usable password: nobody logs in as
    them (the demo accounts are casework.demo.scenario.USERS)."""
    rng = random.Random(f"casework-history-staff:{county.key}")  # noqa: S311 - demo data
    wanted = [(f"{county.key}.detective{n}", cid, OrgRole.INVESTIGATOR) for n in (1, 2, 3)]
    wanted += [(f"patrol.{u.call_sign}", u, OrgRole.PATROL) for u in echelons]
    have = {u.username: u for u in User.objects.filter(username__in=[w[0] for w in wanted])}
    unusable = make_password(None)
    missing = [User(username=username, display_name=_name(rng), unit=unit, org_role=role,
                    password=unusable)
               for username, unit, role in wanted if username not in have]
    for user in User.objects.bulk_create(missing):
        have[user.username] = user
    return Staff(detectives=[have[w[0]] for w in wanted[:3]],
                 officers={u.pk: have[f"patrol.{u.call_sign}"] for u in echelons})


# ---- small helpers --------------------------------------------------------------------

def _ln(rng: random.Random, median: float, sigma: float) -> float:
    """A lognormal draw, given its median."""
    return rng.lognormvariate(0, sigma) * median


def _min(x: float) -> timedelta:
    return timedelta(minutes=x)


def _sec(x: float) -> timedelta:
    return timedelta(seconds=x)


def _money(x: float) -> Decimal:
    return Decimal(str(round(x, 2))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _near(rng: random.Random, lat: float, lon: float, km: float) -> tuple[float, float]:
    return (round(lat + rng.uniform(-km, km) / 111, 5),
            round(lon + rng.uniform(-km, km) / 102, 5))


OUTLINES = Path(__file__).resolve().parents[1] / "static" / "geo" / "zhangzhou-demo.geojson"


@cache
def _outline(name: str) -> list[list[float]]:
    """The county's outline on the offline base map ([lon, lat] points)."""
    features = json.loads(OUTLINES.read_text(encoding="utf-8"))["features"]
    return next(f["geometry"]["coordinates"][0] for f in features
                if f["properties"]["name"] == name and f["properties"]["level"] == "county")


def _inside(lat: float, lon: float, ring: list[list[float]]) -> bool:
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            hit = not hit
    return hit


def _near_in(rng: random.Random, lat: float, lon: float, km: float,
             county: County) -> tuple[float, float]:
    """A point within `km` of (lat, lon) inside the county, so that the map draws it
    where the case belongs."""
    ring = _outline(county.name)
    for _ in range(50):
        point = _near(rng, lat, lon, km)
        if _inside(*point, ring):
            return point
    return (lat, lon)


_VALID: dict[tuple[str, int], bool] = {}


def _valid_for(code: str, year: int, key: str) -> bool:
    """Whether resident ID numbers of division `code` exist for people born in `year`
    (stdnum's check, looked up once per pair: it searches a table)."""
    if (code, year) not in _VALID:
        try:
            ric.validate(key)
            _VALID[(code, year)] = True
        except Invalid:
            _VALID[(code, year)] = False
    return _VALID[(code, year)]


# ---- the simulation -------------------------------------------------------------------

@dataclass
class Plan:
    """One case as the simulation tells it."""

    case: Case
    category: Category
    town: str
    lead: User
    suspects: list[CaseEntity] = field(default_factory=list)
    arrests: list[Arrest] = field(default_factory=list)
    fugitives: int = 0
    last_at: datetime | None = None
    recovery_share: float = 0.0   # of the reported loss, before calibration
    fixed_share: bool = False     # the case that recovered more than it lost
    # (when, part of the case's total, items, under which assignment)
    recovery_plans: list[tuple[datetime, float, str, Assignment | None]] = field(
        default_factory=list)


@dataclass
class Rows:
    """What belongs to no single plan: instructions with their assignments (replaced ones
    before their replacements), escalations, drill arrests and recoveries."""

    instructions: list[Instruction] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    arrests: list[Arrest] = field(default_factory=list)
    recoveries: list[Recovery] = field(default_factory=list)


class Year:
    """One county's year, told case by case. Anything that would happen after `horizon`
    (just before the load) has not happened yet and is left out."""

    def __init__(self, county: County, cid: Unit, staff: Staff, echelons: list[Unit],
                 lead: User, now: datetime, rows: Rows, used_keys: set[str]):
        self.c, self.cid, self.staff, self.now, self.rows = county, cid, staff, now, rows
        self.rng = random.Random(f"casework-history:{county.key}")  # noqa: S311 - demo data
        self.echelons = echelons
        self.capture_units = [u for u in echelons if u.patrol_kind != PatrolKind.DRONE]
        self.lead = lead
        self.horizon = now - HORIZON
        self.used_keys = used_keys
        self.plans: list[Plan] = []

    # -- a case -------------------------------------------------------------------------
    def _alarm(self, category: Category, days: tuple[int, int] = (0, DAYS)) -> datetime:
        rng = self.rng
        today = self.now.astimezone(SH).date()
        while True:
            day = today - timedelta(days=rng.randrange(*days))
            hour = rng.choices(range(24), weights=category.hours)[0]
            at = datetime(day.year, day.month, day.day, hour, rng.randrange(60),
                          rng.randrange(60), tzinfo=SH)
            if self.now - timedelta(days=DAYS) < at < self.now - timedelta(minutes=15):
                return at

    def _person(self, reported: datetime) -> tuple[str, str]:
        """A suspect's name and resident ID number (valid for the place and the year of
        birth, with its check character), never one used before."""
        rng = self.rng
        female = rng.random() < 0.12
        local = self.c.id_codes or (self.c.code,)
        while True:
            code = rng.choice(local if rng.random() < 0.85 else OUTSIDER_CODES)
            age = min(70, 18 + int(rng.gammavariate(2.2, 7)))
            born = reported.date() - timedelta(days=365 * age + rng.randrange(365))
            body = f"{code}{born:%Y%m%d}{rng.randrange(500) * 2 + (0 if female else 1):03d}"
            key = body + ric.calc_check_digit(body + "0")
            if not _valid_for(code, born.year, key):
                continue          # the code was not in use for that year of birth
            if key not in self.used_keys:
                self.used_keys.add(key)
                return _name(rng, female), key

    def case(self, i: int) -> Plan:
        rng, c = self.rng, self.c
        in_the_act = CAUGHT_IN_THE_ACT.get(c.key) == i
        category = CATEGORIES[0] if in_the_act else rng.choices(
            CATEGORIES, weights=[x.share for x in CATEGORIES])[0]
        reported = self._alarm(category, (100, 200) if in_the_act else (0, DAYS))
        # the room is opened minutes after the alarm; after the arrest, when the patrol
        # caught the thief on the spot
        opened = reported + (_min(rng.uniform(95, 150)) if in_the_act
                             else _min(min(60, max(3, _ln(rng, 9, .5)))))
        town = rng.choice(c.towns)
        median, sigma, with_loss = category.loss
        loss = Decimal("0")
        if median and rng.random() < with_loss:
            x = min(3_000_000, _ln(rng, median, sigma))
            loss = Decimal(int(round(x, -1 if x < 10_000 else -2)) or 50)
        led_by_lead = c.key == LEAD_ROOMS[0] and i % LEAD_ROOMS[1] == 0
        lead = self.lead if led_by_lead else rng.choice(self.staff.detectives)
        base = rng.choice(self.echelons)
        lat, lon = _near_in(rng, base.lat, base.lon, 6, c)
        case = Case(number="", title=rng.choice(category.titles).format(town=town),
                    category=category.value, owning_unit=self.cid, reported_at=reported,
                    opened_at=opened, status=CaseStatus.OPEN, location=f"{c.name}{town}",
                    lat=lat, lon=lon, reported_loss=loss, recovered_value=Decimal("0"),
                    created_by=lead)
        plan = Plan(case=case, category=category, town=town, lead=lead)
        # the suspects, marked in the room minutes to hours after the alarm
        at = max(reported + _min(max(3, _ln(rng, category.lock_h * 60, .9))),
                 opened + _min(rng.uniform(3, 20)))
        for n in range(rng.choices(range(1, 6), weights=category.suspects)[0]):
            if n:
                at += _min(_ln(rng, 35, 1.0))
            if at > self.horizon:
                break             # not identified yet
            name, key = self._person(reported)
            plan.suspects.append(CaseEntity(
                case=case, label=name, role="suspect", details={"id_number": key},
                created_by=lead, created_at=at, suspect_since=at))
        self.plans.append(plan)
        suspects = list(plan.suspects)
        if in_the_act and suspects:
            unit = rng.choice(self.capture_units)
            self._arrest(plan, suspects.pop(0), reported + _min(rng.uniform(10, 25)), unit,
                         None, recorded=opened + _min(rng.uniform(15, 40)))
        # suspects marked within an hour of each other are hunted together
        groups: list[list[CaseEntity]] = []
        for ce in suspects:
            if groups and ce.suspect_since - groups[-1][0].suspect_since <= timedelta(hours=1):
                groups[-1].append(ce)
            else:
                groups.append([ce])
        for group in groups:
            self._hunt(plan, group)
        return plan

    # -- capture ------------------------------------------------------------------------
    def _hunt(self, plan: Plan, group: list[CaseEntity]) -> None:
        """Capture instructions until the group is caught, or given up (fugitives)."""
        rng = self.rng
        remaining = list(group)
        at = max(ce.suspect_since for ce in group) + _min(max(1, _ln(rng, 8, .6)))
        for attempt in (1, 2, 3):
            result = self._instruction(plan, remaining, at, attempt)
            if result is None:    # not over by the load: the hunt goes on
                return
            caught, over = result
            remaining = [ce for ce in remaining if all(ce is not x for x in caught)]
            if not remaining:
                return
            if attempt == 3 or rng.random() > 0.78:
                break
            at = over + _min(max(90, _ln(rng, 20 * 60, 1.0)))   # found again later
        plan.fugitives += len(remaining)

    def _instruction(self, plan: Plan, targets: list[CaseEntity], at: datetime, attempt: int,
                     exclude: frozenset[int] = frozenset()
                     ) -> tuple[list[CaseEntity], datetime] | None:
        """One capture instruction (and, when every unit declines, the next one to other
        units): whom it caught and when it was over; None when not over by the load."""
        rng, case = self.rng, plan.case
        if at > self.horizon:
            return None
        pool = [u for u in self.capture_units if u.pk not in exclude] or self.capture_units
        units = [rng.choice(pool)]
        if rng.random() < 0.25:   # a second unit (or a drone) in support
            units.append(rng.choice([u for u in self.echelons if u.pk != units[0].pk]))
        lat, lon = _near_in(rng, case.lat, case.lon, 3, self.c)
        urgent = plan.category.value in ("robbery", "homicide", "assault")
        instruction = Instruction(
            case=case, kind="capture",
            priority="urgent" if urgent else rng.choice(("high", "high", "urgent", "normal")),
            text=(f"嫌疑人{'、'.join(ce.label for ce in targets)}落脚点已查明（{self.c.name}"
                  f"{plan.town}），{'、'.join(u.call_sign for u in units)}组立即前往抓捕，"
                  "注意安全。"),
            lat=lat, lon=lon, place=f"{self.c.name}{plan.town}某处",
            ack_deadline_s=ACK_DEADLINE_S, drill=False, issued_by=plan.lead, issued_at=at)
        instruction._target = targets[0]   # its entity id is known once written
        runs = [self._assignment(instruction, u, at) for u in units]
        r = rng.random()
        p_all = 0.865 if attempt == 1 else 0.72
        if r < p_all:
            caught = list(targets)
        elif r < p_all + 0.05 and len(targets) > 1:
            caught = rng.sample(targets, rng.randrange(1, len(targets)))
        else:
            caught = []
        working = [a for a in runs if a.on_scene_at is not None]
        if not working:
            over = max(a.updated_at for a in runs)
            if over > self.horizon:
                return None
            self._keep(instruction, runs)
            return self._instruction(plan, targets, over + _sec(rng.uniform(20, 90)), attempt,
                                     exclude | {u.pk for u in units})
        first = min(working, key=lambda a: a.on_scene_at)
        took = max((first.on_scene_at - first.sent_at).total_seconds() + 300,
                   _ln(rng, 74 * 60, .7))
        done = first.sent_at + _sec(min(took, 8 * 3600))
        # a second unit on scene in time takes part of a larger group
        takers = {id(ce): first for ce in caught}
        helpers = [a for a in working if a is not first and a.on_scene_at < done
                   and a.unit.patrol_kind != PatrolKind.DRONE]
        if helpers and len(caught) > 1:
            for ce in caught[len(caught) // 2:]:
                takers[id(ce)] = helpers[0]
        arrests = []
        for a in working:
            if a.on_scene_at >= done:    # not there yet when it was over: the room cancels
                self._stop(a, done)
                continue
            mine = [ce for ce in caught if takers[id(ce)] is a]
            end = done if a is first else done + _min(rng.uniform(1, 10))
            result = ("captured" if mine else "handed_over" if caught and a is not first
                      else "not_found")
            a.status, a.result, a.completed_at, a.updated_at = "completed", result, end, end
            for ce in mine:
                arrested = max(a.on_scene_at + _min(1), end - _min(rng.uniform(2, 15)))
                arrests.append((ce, arrested, a, end + _min(rng.uniform(3, 25))))
        over = max(a.updated_at for a in runs)
        if over > self.horizon:
            return None           # still running at the load
        self._keep(instruction, runs)
        for ce, arrested, a, recorded in arrests:
            self._arrest(plan, ce, arrested, a.unit, a, recorded)
        plan.last_at = max(plan.last_at or over, over)
        return caught, over

    def _assignment(self, instruction: Instruction, unit: Unit, sent: datetime,
                    replaces: Assignment | None = None) -> Assignment:
        """An assignment's steps up to the scene: delivery, then acknowledgement (or a
        decline; or an escalation, sometimes ending in reassignment to the suggested
        unit) and the way there. Returns the assignment that goes on (a replacement names
        the one it replaces)."""
        rng = self.rng
        a = Assignment(instruction=instruction, unit=unit, status="sent", sent_at=sent,
                       ack_deadline_at=sent + _sec(ACK_DEADLINE_S), replaces=replaces,
                       positions={}, updated_at=sent)
        a._escalation = None
        others = [u for u in self.capture_units if u.pk != unit.pk]   # to hand it on to
        t = sent
        if rng.random() < 0.97:   # `delivered` is optional: some terminals skip it
            t = a.delivered_at = sent + _sec(rng.uniform(0.4, 3))
            a.status = "delivered"
        if rng.random() < 0.03:
            a.declined_at = t + _sec(rng.uniform(8, 45))
            a.status, a.reason = "declined", rng.choice(DECLINE_REASONS)
            a.updated_at = a.declined_at
            return a
        ack = sent + _sec(max((t - sent).total_seconds() + 1, _ln(rng, 13, .6)))
        if ack > a.ack_deadline_at:
            # the sweep escalates just after the deadline and suggests another unit
            swept = a.ack_deadline_at + _sec(rng.uniform(0.2, 1.2))
            suggestion = rng.choice(others) if others else None
            a._escalation = Escalation(
                assignment=a, at=swept, suggested_unit=suggestion,
                late_ms=int((swept - a.ack_deadline_at).total_seconds() * 1000))
            reassign = swept + _sec(rng.uniform(15, 60))
            if suggestion is not None and rng.random() < 0.5 and reassign < ack:
                a.status, a.cancelled_at, a.updated_at = "cancelled", reassign, reassign
                return self._assignment(instruction, suggestion, reassign, a)
            ack = max(ack, swept + _sec(1))
        a.acknowledged_at = ack
        a.positions["acknowledged"] = list(_near(rng, unit.lat, unit.lon, 2))
        a.en_route_at = ack + _sec(rng.uniform(5, 40))
        travel = {PatrolKind.DRONE: 4, PatrolKind.FOOT: 6}.get(unit.patrol_kind, 8)
        a.on_scene_at = a.en_route_at + _min(max(2, _ln(rng, travel, .5)))
        a.positions["on_scene"] = [instruction.lat, instruction.lon]
        a.status, a.updated_at = "on_scene", a.on_scene_at
        if replaces is None and rng.random() < 0.01:
            # the room gives it to a unit nearer the target while this one is on its way
            cut = a.en_route_at + _min(rng.uniform(1, 2))
            if cut < a.on_scene_at:
                self._stop(a, cut)
                if others:
                    return self._assignment(instruction, rng.choice(others), cut, a)
        return a

    @staticmethod
    def _stop(a: Assignment, at: datetime) -> None:
        """Cancelled by the room at `at`: the steps it had not reached are unstamped."""
        a.status, a.cancelled_at, a.updated_at = "cancelled", at, at
        for step in ("on_scene", "en_route", "acknowledged", "delivered"):
            stamp = getattr(a, f"{step}_at")
            if stamp is not None and stamp > at:
                setattr(a, f"{step}_at", None)
                a.positions.pop(step, None)

    def _keep(self, instruction: Instruction, runs: list[Assignment]) -> None:
        self.rows.instructions.append(instruction)
        for a in runs:
            chain = []
            while a is not None:
                chain.append(a)
                a = a.replaces
            for x in reversed(chain):       # the replaced one first: it is referenced
                self.rows.assignments.append(x)
                if x._escalation is not None:
                    self.rows.escalations.append(x._escalation)

    def _arrest(self, plan: Plan, ce: CaseEntity, at: datetime, unit: Unit,
                a: Assignment | None, recorded: datetime) -> None:
        where = a.instruction if a else plan.case
        arrest = Arrest(case=plan.case, name=ce.label, arrested_at=at,
                        place=a.instruction.place if a else plan.case.location,
                        lat=where.lat, lon=where.lon, unit=unit, assignment=a, drill=False,
                        recorded_by=self.staff.officers.get(unit.pk, plan.lead),
                        recorded_at=min(recorded, self.horizon))
        arrest._person = ce
        plan.arrests.append(arrest)
        plan.last_at = max(plan.last_at or at, at)

    # -- after the hunt -----------------------------------------------------------------
    def settle(self, plan: Plan) -> None:
        """Plan the recoveries; close the case when its work was done long enough ago."""
        rng, case, cat = self.rng, plan.case, plan.category
        arrests = plan.arrests
        if case.reported_loss > 0:
            if arrests:
                plan.recovery_share = rng.betavariate(*cat.recovered)
            elif rng.random() < 0.2:   # found abandoned, or frozen before any arrest
                plan.recovery_share = rng.uniform(0.1, 0.5)
        if plan.recovery_share:
            first = min((x.arrested_at for x in arrests), default=case.opened_at)
            first = max(first, case.opened_at)
            # fraud: the bank freezes and returns the money, no patrol unit involved
            under = (next((x.assignment for x in arrests if x.assignment), None)
                     if cat.value != "fraud" else None)
            items = rng.choice(cat.items) if cat.items else "追回财物"
            at = first + _min(max(20, _ln(rng, 180, 1.0)))
            if rng.random() < 0.25:
                later = at + timedelta(days=rng.uniform(1, 10))
                plan.recovery_plans = [(at, 0.6, items, under), (later, 0.4, items, under)]
            else:
                plan.recovery_plans = [(at, 1.0, items, under)]
        stamps = [x.arrested_at for x in arrests] + [
            p[0] for p in plan.recovery_plans if p[0] <= self.horizon]
        last = max([*stamps, plan.last_at or case.opened_at, case.opened_at])
        closed = None
        if plan.suspects and not plan.fugitives and len(arrests) == len(plan.suspects):
            closed = last + timedelta(days=max(1, _ln(rng, 6, .8)))
        elif plan.fugitives and rng.random() < 0.5:   # sent on with suspects still wanted
            closed = case.reported_at + timedelta(days=rng.uniform(60, 150))
        if closed is not None and last < closed <= self.horizon:
            case.status, case.closed_at = CaseStatus.CLOSED, closed

    # -- drills -------------------------------------------------------------------------
    def drills(self, first_day: float) -> None:
        """A drill about every six weeks: a capture instruction marked drill, sent from a
        room open at the time, with its drill arrest and sometimes a drill recovery."""
        rng = self.rng
        at = self.now - timedelta(days=DAYS - first_day)
        while at < self.horizon - timedelta(hours=8):
            at = at.astimezone(SH).replace(hour=rng.choice((9, 10, 14, 15, 21)),
                                           minute=rng.randrange(60))
            hosts = [p for p in self.plans if p.case.opened_at < at - timedelta(hours=2) and (
                p.case.closed_at is None or p.case.closed_at > at + timedelta(hours=8))]
            if hosts and at < self.horizon - timedelta(hours=8):
                self._drill(max(hosts, key=lambda p: p.case.opened_at), at)
            at += timedelta(days=42 + rng.uniform(-3, 3))

    def _drill(self, plan: Plan, at: datetime) -> None:
        rng = self.rng
        unit = rng.choice(self.echelons)
        lat, lon = _near_in(rng, plan.case.lat, plan.case.lon, 4, self.c)
        instruction = Instruction(
            case=plan.case, kind="capture", priority="normal",
            text=f"【演练】模拟抓捕：{self.c.name}{plan.town}，{unit.call_sign}组按实战要求出动。",
            lat=lat, lon=lon, place=f"{self.c.name}{plan.town}演练点",
            ack_deadline_s=ACK_DEADLINE_S, drill=True, issued_by=plan.lead, issued_at=at)
        instruction._target = None
        a = self._assignment(instruction, unit, at)
        if a.on_scene_at is not None:
            done = a.on_scene_at + _min(rng.uniform(10, 60))
            captured = rng.random() < 0.9
            a.status, a.completed_at, a.updated_at = "completed", done, done
            a.result = "captured" if captured else "not_found"
            officer = self.staff.officers.get(a.unit.pk, plan.lead)
            if captured:
                # nobody real: a drill arrest names its role-player, never a room's person
                self.rows.arrests.append(Arrest(
                    case=plan.case, name="演练目标（模拟）",
                    arrested_at=done - _min(rng.uniform(2, 8)), place=instruction.place,
                    lat=lat, lon=lon, unit=a.unit, assignment=a, drill=True,
                    recorded_by=officer, recorded_at=done + _min(5)))
                if rng.random() < 0.3:
                    self.rows.recoveries.append(Recovery(
                        case=plan.case, items="【演练】模拟追缴物品",
                        value=_money(rng.randrange(10, 50) * 100), recovered_at=done,
                        unit=a.unit, assignment=a, drill=True, recorded_by=officer,
                        recorded_at=done + _min(6)))
        self._keep(instruction, [a])


# ---- across counties --------------------------------------------------------------------

def _over_recovery(plans: list[Plan], now: datetime) -> None:
    """One burglary in Zhangpu, months ago, recovered more than it lost: the suspects
    still had the goods of other burglaries."""
    for plan in sorted(plans, key=lambda p: p.case.reported_at):
        if (plan.category.value == "burglary" and plan.case.location.startswith("漳浦县")
                and plan.arrests and plan.recovery_plans and plan.case.reported_loss > 0
                and plan.case.reported_at < now - timedelta(days=120)):
            at, _part, _items, under = plan.recovery_plans[0]
            plan.recovery_share, plan.fixed_share = 1.35, True
            plan.recovery_plans = [(at, 1.0, "追回被盗财物（含其他入室盗窃案赃物）", under)]
            return


def _made(plan: Plan, horizon: datetime) -> float:
    """The part of the case's recoveries made by the load (a later one has not happened)."""
    return sum(part for at, part, _items, _under in plan.recovery_plans if at <= horizon)


def _calibrate(plans: list[Plan], horizon: datetime) -> float:
    """The factor on every case's recovered share that makes the recoveries, each counted
    up to its case's loss, RECOVERY_TARGET of all reported losses (bisection)."""
    loss = sum(float(p.case.reported_loss) for p in plans)
    scaled = [(p.recovery_share, float(p.case.reported_loss) * _made(p, horizon))
              for p in plans if p.recovery_share and not p.fixed_share]
    fixed = sum(float(p.case.reported_loss) * _made(p, horizon) for p in plans if p.fixed_share)
    if not loss or not scaled:
        return 1.0
    lo, hi = 0.0, 10.0
    for _ in range(50):
        k = (lo + hi) / 2
        share = (fixed + sum(min(1.0, s * k) * v for s, v in scaled)) / loss
        lo, hi = (k, hi) if share < RECOVERY_TARGET else (lo, k)
    return (lo + hi) / 2


def _recoveries(plan: Plan, factor: float, officers: dict[int, User],
                horizon: datetime) -> list[Recovery]:
    """The case's recoveries; its recovered value is their sum, as the service keeps it."""
    case = plan.case
    share = plan.recovery_share if plan.fixed_share else min(1.0, plan.recovery_share * factor)
    total = float(case.reported_loss) * share
    out = []
    for at, part, items, under in plan.recovery_plans:
        if at > horizon:
            continue
        unit = under.unit if under is not None else None
        out.append(Recovery(
            case=case, items=items, value=_money(total * part), recovered_at=at, unit=unit,
            assignment=under, drill=False,
            recorded_by=officers.get(unit.pk, plan.lead) if unit else plan.lead,
            recorded_at=min(at + _min(30), horizon)))
    case.recovered_value = sum((r.value for r in out), Decimal("0"))
    return out


def _number(plans: list[Plan], county: County) -> None:
    """ZZ-<year>-<division code>-<nnnn>, in order of the alarms within each year."""
    per_year: dict[int, int] = defaultdict(int)
    for plan in sorted(plans, key=lambda p: p.case.reported_at):
        year = plan.case.reported_at.astimezone(SH).year
        per_year[year] += 1
        plan.case.number = f"{PREFIX}{year}-{county.code}-{per_year[year]:04d}"


# ---- loading ----------------------------------------------------------------------------

def existing() -> int:
    """History cases in the database (the marker of a load)."""
    return Case.objects.filter(number__startswith=PREFIX).count()


def load(units: dict[str, Unit], lead: User, reserved_keys: set[str] | None = None,
         now: datetime | None = None) -> dict[str, int]:
    """Write the year before `now` (default: now), in one transaction; nothing when a
    history exists already. `units` are the demo tree's units by key; `reserved_keys`
    resident ID numbers no history suspect may have. Returns what was written."""
    if existing():
        return {}
    now = now or timezone.now()
    rows = Rows()
    used = set(reserved_keys or ())
    plans: list[Plan] = []
    officers: dict[int, User] = {}
    with transaction.atomic():
        for n, county in enumerate(COUNTIES):
            cid = units[f"{county.key}_cid"]
            echelons = list(Unit.objects.filter(path__startswith=units[county.key].path,
                                                kind=UnitKind.PATROL).order_by("call_sign"))
            staff = _staff(county, cid, echelons)
            officers.update(staff.officers)
            year = Year(county, cid, staff, echelons, lead, now, rows, used)
            for i in range(county.cases):
                year.case(i)
            for plan in year.plans:
                year.settle(plan)
            year.drills(first_day=5 + 6 * n)    # the counties' drills take turns
            _number(year.plans, county)
            plans.extend(year.plans)
        _over_recovery(plans, now)
        horizon = now - HORIZON
        factor = _calibrate(plans, horizon)
        for plan in plans:
            rows.recoveries.extend(_recoveries(plan, factor, officers, horizon))
        return _write(plans, rows)


def _write(plans: list[Plan], rows: Rows) -> dict[str, int]:
    """bulk_create in the order the foreign keys need."""
    suspects = [ce for p in plans for ce in p.suspects]
    entity_ids = ensure_entities({("person", ce.details["id_number"]) for ce in suspects})
    cases = Case.objects.bulk_create([p.case for p in plans], batch_size=2000)
    # the room's first lead is its creator, who joined when it was opened
    Membership.objects.bulk_create(
        [Membership(case=p.case, user=p.lead, role=RoomRole.LEAD, added_by=p.lead)
         for p in plans], batch_size=2000)
    ids = case_permission_ids()
    lead_perms = [ids[p] for p in sorted(perms_for_membership(Membership(role=RoomRole.LEAD)))]
    history = f"SELECT id FROM {Case._meta.db_table} WHERE number LIKE %s"  # noqa: S608
    with connection.cursor() as cur:
        # auto_now_add stamped them with the load time
        cur.execute(f"""UPDATE {Membership._meta.db_table} m SET added_at = c.opened_at
                        FROM {Case._meta.db_table} c
                        WHERE c.id = m.case_id AND m.case_id IN ({history})""",  # noqa: S608
                    [PREFIX + "%"])
        # their guardian rows, as the one derivation (casework.rooms.permissions) has
        # them for a lead, in one statement
        cur.execute(f"""INSERT INTO {CaseUserObjectPermission._meta.db_table}
                            (content_object_id, user_id, permission_id)
                        SELECT m.case_id, m.user_id, p.id
                        FROM {Membership._meta.db_table} m CROSS JOIN unnest(%s::int[]) AS p(id)
                        WHERE m.case_id IN ({history})""",  # noqa: S608
                    [lead_perms, PREFIX + "%"])
    for ce in suspects:
        ce.entity_id = entity_ids[("person", ce.details["id_number"])]
    CaseEntity.objects.bulk_create(suspects, batch_size=5000)
    enqueue_involvement_ids([ce.pk for ce in suspects])   # the graph shows them, as any room's
    for instruction in rows.instructions:
        target = instruction._target
        instruction.target_entity_id = target.entity_id if target is not None else None
    Instruction.objects.bulk_create(rows.instructions, batch_size=2000)
    # an assignment goes in after the one it replaces
    written: set[int] = set()
    batch: list[Assignment] = []
    for a in rows.assignments:
        if a.replaces is not None and id(a.replaces) not in written:
            Assignment.objects.bulk_create(batch, batch_size=2000)
            written.update(id(x) for x in batch)
            batch = []
        batch.append(a)
    Assignment.objects.bulk_create(batch, batch_size=2000)
    Escalation.objects.bulk_create(rows.escalations, batch_size=2000)
    arrests = [a for p in plans for a in p.arrests]
    for arrest in arrests:
        arrest.person_id = arrest._person.entity_id
    Arrest.objects.bulk_create(arrests + rows.arrests, batch_size=2000)
    Recovery.objects.bulk_create(rows.recoveries, batch_size=2000)
    return {"cases": len(cases), "suspects": len(suspects),
            "instructions": len(rows.instructions), "assignments": len(rows.assignments),
            "escalations": len(rows.escalations), "arrests": len(arrests),
            "drill_arrests": len(rows.arrests), "recoveries": len(rows.recoveries)}
