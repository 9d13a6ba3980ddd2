"""Synthetic data at scale for benchmarks (`manage.py seed_scale`), written with set-based
SQL (INSERT … SELECT over generate_series, COPY), never ORM loops.

What one seed writes, all in one transaction (an interrupted seed leaves nothing):
- units: the existing organisation tree, or a small one when there is none;
- `cases` cases numbered `SCALE-0000001…` (the marker of a seed), spread over three years,
  units and categories, each with one evidence item (links need their provenance) and its
  first custody entry (a valid HMAC chain, like every other item);
- entities in slots per case (three persons, five phones, a vehicle, three bank accounts),
  shared across cases with a skewed distribution: most entities are in one case; a case
  of a gang series shares several with the gang's other cases (about four per gang, close
  in time); a pool of "unlucky" entities turns up in 2–5 unrelated cases; a few hub phones
  (parcel lockers, couriers, ride-hailing) are in hundreds to thousands of cases;
- `links` links (USES, CALLED, DRIVES, MET, TRANSFERRED_TO) with count, first/last seen and
  the case's evidence item;
- the graph outbox rows of every link and involvement, through the product's own SQL
  (casework.entities.outbox), unless `graph` is off;
- `bench_investigator`, a member of `member_cases` seeded cases, its object permissions
  derived by casework.rooms.permissions like every membership's;
- `assignments` capture assignments (about 2.5 per instruction) to the patrol echelons of
  each case's bureau, with their arrests and recoveries (casework.demo.scale_dispatch),
  the tree topped up to `patrol_units` patrol echelons first.

Randomness is a hash of (row, salt, seed) in SQL, so a seed is reproducible. Nothing here
touches the graph itself: casework never imports linkanalysis, and the command drains the
outbox afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils.translation import gettext as _

from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
from casework.accounts.models import Unit, User
from casework.demo import scale_dispatch
from casework.entities.outbox import enqueue_involvement_ids, enqueue_link_ids
from casework.evidence.custody import _mac
from casework.evidence.models import CustodyEntry
from casework.rooms.choices import RoomRole
from casework.rooms.models import Case, Membership
from casework.rooms.permissions import sync_case_permissions
from casework.stats import facts as stats_facts

PREFIX = "SCALE-"
BENCH_USER = "bench_investigator"
MAX_LINKS_PER_CASE = 17
ASSIGNMENTS_PER_CASE = 10
MAX_ASSIGNMENTS_PER_CASE = 50
OUTBOX_CHUNK = 50_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Plan:
    """What to seed. Sizes of later issues' data (capture assignments) join here.

    `assignments`: capture assignments (about 2.5 per instruction), by default
    ASSIGNMENTS_PER_CASE per case (1,000,000 for the default 100,000 cases); 0 for none.
    `patrol_units`: patrol echelons the tree is topped up to, so that per-unit tables
    have a realistic number of rows."""

    cases: int = 100_000
    links: int = 1_000_000
    seed: int = 1
    graph: bool = True
    member_cases: int = 100
    assignments: int | None = None
    patrol_units: int = 200

    @property
    def n_assignments(self) -> int:
        return ASSIGNMENTS_PER_CASE * self.cases if self.assignments is None \
            else self.assignments

    def check(self) -> None:
        if self.cases < 1:
            raise ValueError("at least one case")
        if not self.cases <= self.links <= MAX_LINKS_PER_CASE * self.cases:
            raise ValueError(f"links must lie between cases and {MAX_LINKS_PER_CASE} × cases "
                             f"({self.cases:,}–{MAX_LINKS_PER_CASE * self.cases:,})")
        if self.cases > 9_999_999:
            raise ValueError("at most 9,999,999 cases (SCALE-0000001…)")
        if not 0 <= self.n_assignments <= MAX_ASSIGNMENTS_PER_CASE * self.cases:
            raise ValueError(f"assignments must lie between 0 and {MAX_ASSIGNMENTS_PER_CASE} × "
                             f"cases ({MAX_ASSIGNMENTS_PER_CASE * self.cases:,})")


@dataclass
class Step:
    name: str
    rows: int = 0
    seconds: float = 0.0

    def line(self) -> str:
        rate = f"{self.rows / self.seconds:>12,.0f} rows/s" if self.rows and self.seconds else ""
        return f"  {self.name:<34} {self.rows:>12,} rows {self.seconds:8.1f} s {rate}"


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @contextmanager
    def step(self, name: str, progress: Progress) -> Iterator[Step]:
        step = Step(name)
        t = time.perf_counter()
        yield step
        step.seconds = time.perf_counter() - t
        self.steps.append(step)
        progress(step.line())


# ---- the shape of the data ------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    """One entity position in every case. `gang`: chance that a gang case uses the gang's
    entity here; `pool`: chance of an entity shared with a few unrelated cases; `hub`:
    chance of one of the hub phones."""

    kind: str
    role: str = ""
    gang: float = 0.0
    pool: float = 0.0
    hub: float = 0.0


SLOTS = [
    Slot("person", "suspect", gang=0.7, pool=0.03),      # 0 suspect A
    Slot("person", "suspect", gang=0.6, pool=0.03),      # 1 suspect B
    Slot("person", "victim", pool=0.01),                 # 2 victim C
    Slot("phone", gang=0.6, pool=0.05),                  # 3 A's phone
    Slot("phone", gang=0.5, pool=0.05),                  # 4 B's phone
    Slot("phone", pool=0.02),                            # 5 C's phone
    Slot("phone", gang=0.3, pool=0.08),                  # 6 a contact
    Slot("phone", pool=0.05, hub=0.35),                  # 7 a contact, often a hub
    Slot("vehicle", gang=0.5, pool=0.05),                # 8 the vehicle
    Slot("bank_account", gang=0.6, pool=0.03),           # 9 A's account
    Slot("bank_account", gang=0.4, pool=0.03),           # 10 B's account
    Slot("bank_account", pool=0.01),                     # 11 C's account
]

# (kind, source slot, target slot), most telling first: a case with n links has the
# first n. Every triple differs, so a case never repeats a link.
LINKS = [
    ("USES", 0, 3), ("USES", 1, 4), ("CALLED", 3, 4), ("DRIVES", 0, 8), ("CALLED", 3, 7),
    ("MET", 0, 1), ("TRANSFERRED_TO", 11, 9), ("CALLED", 4, 6), ("USES", 2, 5),
    ("CALLED", 3, 6), ("TRANSFERRED_TO", 9, 10), ("CALLED", 4, 3), ("CALLED", 5, 3),
    ("CALLED", 4, 7), ("DRIVES", 1, 8), ("MET", 0, 2), ("CALLED", 6, 7),
]
assert len(LINKS) == MAX_LINKS_PER_CASE

GANG_SHARE = 0.3          # of cases belong to a gang's series
GANG_BLOCK = 2000         # consecutive cases (about three weeks at 100,000 in 3 years)
GANG_SIZE = 4             # cases per gang on average
POOL_CASES = 3            # cases per pool entity on average
HUBS = 40                 # hub phones; the busiest in ~19 % of hub uses

CATEGORIES = [("theft", "盗窃", 0.35), ("burglary", "入室盗窃", 0.15), ("fraud", "诈骗", 0.20),
              ("robbery", "抢劫", 0.05), ("assault", "故意伤害", 0.10), ("drugs", "贩毒", 0.07),
              ("homicide", "故意杀人", 0.01), ("other", "其他", 0.07)]
TOWNS = ["小溪镇", "坂仔镇", "山格镇", "文峰镇", "南胜镇", "九峰镇", "芦溪镇", "霞寨镇",
         "国强乡", "崎岭乡", "靖城镇", "龙山镇", "丰田镇", "和溪镇", "金山镇", "船场镇"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
GIVEN = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
         "超", "秀英", "建华", "志强", "海燕", "晓东", "国平", "丽娟", "文斌", "春梅"]
HUB_LABELS = ["丰巢快递柜取件电话", "快递员", "外卖骑手", "网约车客服", "房产中介"]
MOBILE_PREFIXES = ["135", "136", "138", "139", "150", "158", "159", "186", "187", "188"]
# Zhangzhou's districts and counties, codes in use since 1985: resident ID numbers are
# valid for people born there from 1985 (BIRTH_FROM + up to BIRTH_DAYS days)
REGIONS = ["350602", "350622", "350623", "350624", "350625", "350626", "350627", "350628",
           "350629"]
BIRTH_FROM, BIRTH_DAYS = "1985-01-01", 8000


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _functions(seed: int) -> list[str]:
    """Session-local helpers: u(x, salt) uniform in [0, 1), reproducible per seed; the
    check character of a resident ID number (GB 11643)."""
    return [
        f"""CREATE OR REPLACE FUNCTION pg_temp.u(x bigint, salt int) RETURNS float8
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT (hashint8extended(x, {int(seed)}::bigint * 1000003 + salt)
                    & 9007199254740991)::float8 / 9007199254740992 $$""",
        """CREATE OR REPLACE FUNCTION pg_temp.ric_check(body text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT substr('10X98765432', mod(sum(substr(body, i, 1)::int
                   * (ARRAY[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2])[i]), 11)::int + 1, 1)
            FROM generate_series(1, 17) AS i $$""",
    ]


# ---- steps ----------------------------------------------------------------------------

TEMP_TABLES = ("scale_case", "scale_slot", "scale_ent", "scale_ce", "scale_gone",
               "scale_gone_entities")


def _drop_temp_tables(cur) -> None:
    # ON COMMIT DROP does not fire when the seed runs inside a caller's transaction (tests)
    for name in TEMP_TABLES + scale_dispatch.TEMP_TABLES:
        cur.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")


def existing() -> int:
    """Seeded cases already in the database (the marker)."""
    return Case.objects.filter(number__startswith=PREFIX).count()


def _units(progress: Progress) -> list[int]:
    """Units that own cases: county bureaus, brigades, stations of the existing tree, or of
    a small tree made here when the database has none."""
    kinds = [UnitKind.COUNTY_BUREAU, UnitKind.BRIGADE, UnitKind.STATION]
    if not Unit.objects.exists():
        def add(parent: Unit | None, **fields) -> Unit:
            if parent is None:
                return Unit.objects.add_root(fields)
            # re-read the parent: treebeard computes the child's path from its numchild
            return Unit.objects.add_child(Unit.objects.get(pk=parent.pk), fields)

        city = add(None, name="规模测试市公安局", kind=UnitKind.CITY_BUREAU)
        for i, county_name in enumerate(["甲县公安局", "乙县公安局", "丙县公安局"], start=1):
            county = add(city, name=county_name, kind=UnitKind.COUNTY_BUREAU)
            add(county, name=f"{county_name}刑事侦查大队", kind=UnitKind.BRIGADE)
            patrol = add(county, name=f"{county_name}巡特警大队", kind=UnitKind.BRIGADE)
            for j in (1, 2):
                add(county, name=f"{county_name}第{j}派出所", kind=UnitKind.STATION)
                add(patrol, name=f"{county_name}巡逻{j}组", kind=UnitKind.PATROL,
                    call_sign=f"S{i}{j:02d}", patrol_kind=PatrolKind.CAR)
        progress("  no organisation tree: made a small one (规模测试市公安局, 22 units)")
    return list(Unit.objects.filter(kind__in=kinds).order_by("path").values_list("id", flat=True))


def _cases(cur, plan: Plan, units: list[int]) -> int:
    thresholds, acc = [], 0.0
    for value, label, share in CATEGORIES:
        acc += share
        thresholds.append((value, label, round(acc, 4)))
    category = "CASE " + " ".join(f"WHEN u3 < {t} THEN '{v}'" for v, _l, t in thresholds[:-1]) \
        + f" ELSE '{thresholds[-1][0]}' END"
    label = "CASE " + " ".join(f"WHEN u3 < {t} THEN '{lb}'" for _v, lb, t in thresholds[:-1]) \
        + f" ELSE '{thresholds[-1][1]}' END"
    cur.execute(f"""
        INSERT INTO rooms_case (number, title, category, owning_unit_id, reported_at,
            opened_at, status, closed_at, location, lat, lon, reported_loss, recovered_value,
            event_seq, created_by_id)
        SELECT '{PREFIX}' || lpad(g::text, 7, '0'),
               town || {label} || '案', {category},
               (%s::bigint[])[1 + floor(pg_temp.u(g, 4) * %s)::int],
               reported, opened,
               CASE WHEN closed THEN 'closed' ELSE 'open' END,
               CASE WHEN closed THEN least(opened + (1 + pg_temp.u(g, 7) * 60) * interval '1 day',
                                            now()) END,
               town, 24.2 + pg_temp.u(g, 8) * 0.8, 117.0 + pg_temp.u(g, 9),
               round((pow(pg_temp.u(g, 10), 3) * 200000)::numeric, 2), 0, 0, NULL
        FROM (
            SELECT g, u3, town, reported,
                   least(reported + (5 + pg_temp.u(g, 5) * 115) * interval '1 minute', now())
                       AS opened,
                   reported < now() - interval '90 days' AND pg_temp.u(g, 6) < 0.7 AS closed
            FROM (
                SELECT g, pg_temp.u(g, 3) AS u3,
                       ({_sql_array(TOWNS)})[1 + floor(pg_temp.u(g, 2) * {len(TOWNS)})::int]
                           AS town,
                       now() - interval '1 hour'
                           - (1 - (g - 1 + pg_temp.u(g, 1)) / %s) * interval '1095 days'
                           AS reported
                FROM generate_series(1, %s) AS g) AS a) AS b
        ORDER BY g""", [units, len(units), plan.cases, plan.cases])  # noqa: S608 - constants
    return cur.rowcount


def _evidence(cur) -> int:
    cur.execute(f"""
        INSERT INTO evidence_evidenceitem (case_id, kind, description, collected_by_id,
            collected_at, lat, lon, place, source_unit_id, file, original_name, sha256, size,
            content_type, version, supersedes_id, status, withdrawn_reason, withdrawn_at,
            created_by_id, created_at)
        SELECT c.id, 'call_records', '话单、资金流水与车辆轨迹（合成数据）', NULL,
               least(c.opened_at + interval '1 hour', now()), c.lat, c.lon, c.location,
               c.owning_unit_id, '', '', '', NULL, '', 1, NULL, 'active', '', NULL, NULL,
               least(c.opened_at + interval '1 hour', now())
        FROM rooms_case c WHERE c.number LIKE '{PREFIX}%%' ORDER BY c.id""")  # noqa: S608
    return cur.rowcount


def _custody(cur) -> int:
    """Each item's first custody entry, its MAC computed like casework.evidence.custody
    does (the key never reaches the database), streamed in with COPY."""
    cur.execute(f"""
        SELECT e.id, e.collected_at, u.name FROM evidence_evidenceitem e
        JOIN rooms_case c ON c.id = e.case_id
        JOIN accounts_unit u ON u.id = e.source_unit_id
        WHERE c.number LIKE '{PREFIX}%%' ORDER BY e.id""")  # noqa: S608
    reason = _("Collected and entered into the case room")
    rows = []
    for evidence_id, at, unit_name in cur.fetchall():
        entry = CustodyEntry(evidence_id=evidence_id, seq=1, from_holder="",
                             to_holder=f"{unit_name}（批量导入）", at=at.astimezone(UTC),
                             reason=reason, file_sha256="", actor_id=None, prev_mac="")
        rows.append((evidence_id, 1, "", entry.to_holder, entry.at, reason, "", "",
                     _mac(entry)))
    with cur.cursor.copy("COPY evidence_custodyentry (evidence_id, seq, from_holder, "
                         "to_holder, at, reason, file_sha256, prev_mac, mac) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)
    return len(rows)


def _scale_case(cur, plan: Plan) -> int:
    """Temporary: seeded case → sequence number, gang, link count, evidence item."""
    gangs_per_block = max(1, round(GANG_BLOCK * GANG_SHARE / GANG_SIZE))
    base, extra = divmod(plan.links, plan.cases)
    cur.execute(f"""
        CREATE TEMP TABLE scale_case ON COMMIT DROP AS
        SELECT c.id AS case_id, s.seq, c.reported_at, c.opened_at, e.id AS evidence_id,
               CASE WHEN pg_temp.u(s.seq, 10) < {GANG_SHARE}
                    THEN (s.seq / {GANG_BLOCK}) * {gangs_per_block}
                         + floor(pg_temp.u(s.seq, 11) * {gangs_per_block})::bigint END AS gang,
               {base} + CASE WHEN s.seq <= {extra} THEN 1 ELSE 0 END AS n_links
        FROM rooms_case c
        CROSS JOIN LATERAL (SELECT substr(c.number, {len(PREFIX) + 1})::bigint AS seq) AS s
        JOIN evidence_evidenceitem e ON e.case_id = c.id
        WHERE c.number LIKE '{PREFIX}%%'""")  # noqa: S608 - constants
    count = cur.rowcount
    cur.execute("ANALYZE scale_case")
    return count


def _slots(cur, plan: Plan, used: list[int]) -> int:
    """Temporary: (case, slot) → entity identity. Identities: 0·10¹² + case·16 + slot (only
    this case), 1·10¹² + gang·16 + slot (the gang's), 2·10¹² + pool·16 + slot (a few
    unrelated cases), 3·10¹² + hub."""
    spec = ", ".join(
        f"({s}, '{SLOTS[s].kind}', '{SLOTS[s].role}', {SLOTS[s].gang}::float8, "
        f"{SLOTS[s].pool}::float8, {max(1, round(plan.cases * SLOTS[s].pool / POOL_CASES))}, "
        f"{SLOTS[s].hub}::float8)" for s in used)
    cur.execute(f"""
        CREATE TEMP TABLE scale_slot ON COMMIT DROP AS
        SELECT c.case_id, c.seq, sp.s, sp.kind, sp.role,
               CASE WHEN pg_temp.u(c.seq * 16 + sp.s, 20) < sp.hub
                        THEN 3000000000000 + floor(exp(pg_temp.u(c.seq * 16 + sp.s, 21)
                                                       * ln({HUBS} + 1)))::bigint - 1
                    WHEN c.gang IS NOT NULL AND pg_temp.u(c.seq * 16 + sp.s, 22) < sp.gang
                        THEN 1000000000000 + c.gang * 16 + sp.s
                    WHEN pg_temp.u(c.seq * 16 + sp.s, 23) < sp.pool
                        THEN 2000000000000
                             + floor(pg_temp.u(c.seq * 16 + sp.s, 24) * sp.pool_size)::bigint
                               * 16 + sp.s
                    ELSE c.seq * 16 + sp.s END AS ident
        FROM scale_case c
        CROSS JOIN (VALUES {spec}) AS sp(s, kind, role, gang, pool, pool_size, hub)
        """)  # noqa: S608 - constants
    return cur.rowcount


def _entities(cur, plan: Plan) -> tuple[int, int]:
    """Entities with realistic normalised keys (E.164 phones, plates, bank account digits,
    resident ID numbers with a valid check character): each identity gets a dense number
    per kind, scrambled by a bijection (n·7919 + c mod M) into the key space."""
    c = (plan.seed * 104729) % 1_000_000
    nr = len(REGIONS)
    ric = nr * BIRTH_DAYS * 1000  # region × birth date × 3-digit sequence
    cur.execute(f"""
        CREATE TEMP TABLE scale_ent ON COMMIT DROP AS
        SELECT kind, ident,
               CASE kind
               WHEN 'phone' THEN '+86' || ({_sql_array(MOBILE_PREFIXES)})[
                        1 + mod(d * 7919 + {c}, 1000000000) / 100000000]
                    || lpad(mod(mod(d * 7919 + {c}, 1000000000), 100000000)::text, 8, '0')
               WHEN 'vehicle' THEN '闽' || substr('ABCDEFGHJK',
                        1 + (mod(d * 7919 + {c}, 1000000) / 100000)::int, 1)
                    || lpad(mod(d * 7919 + {c}, 100000)::text, 5, '0')
               WHEN 'bank_account' THEN '6222'
                    || lpad(mod(d * 7919 + {c}, 1000000000000000)::text, 15, '0')
               ELSE body || pg_temp.ric_check(body) END AS key,
               mod(d, {len(HUB_LABELS)}) AS hub_label, d
        FROM (
            SELECT kind, ident, d,
                   CASE WHEN kind = 'person' THEN
                       ({_sql_array(REGIONS)})[1 + mod(mod(d * 7919 + {c}, {ric}), {nr})]
                       || to_char(date '{BIRTH_FROM}'
                                  + mod(mod(d * 7919 + {c}, {ric}) / {nr}, {BIRTH_DAYS})::int,
                                  'YYYYMMDD')
                       || lpad((mod(d * 7919 + {c}, {ric}) / {nr * BIRTH_DAYS})::text, 3, '0')
                   END AS body
            FROM (SELECT kind, ident,
                         row_number() OVER (PARTITION BY kind ORDER BY ident) - 1 AS d
                  FROM (SELECT DISTINCT kind, ident FROM scale_slot) AS x) AS y) AS z
        """)  # noqa: S608 - constants
    distinct = cur.rowcount
    cur.execute("""
        INSERT INTO entities_entity (kind, key, created_at, merged_into_id)
        SELECT kind, key, now(), NULL FROM scale_ent ORDER BY kind, ident
        ON CONFLICT (kind, key) DO NOTHING""")
    created = cur.rowcount
    cur.execute("""
        CREATE TEMP TABLE scale_ce ON COMMIT DROP AS
        SELECT sl.case_id, sl.s, sl.kind, sl.role, sl.ident, se.hub_label, se.d, se.key,
               e.id AS entity_id
        FROM scale_slot sl
        JOIN scale_ent se ON se.kind = sl.kind AND se.ident = sl.ident
        JOIN entities_entity e ON e.kind = se.kind AND e.key = se.key""")
    cur.execute("CREATE INDEX ON scale_ce (case_id, s)")
    cur.execute("ANALYZE scale_ce")
    return distinct, created


def _case_entities(cur) -> int:
    cur.execute(f"""
        INSERT INTO entities_caseentity (case_id, entity_id, label, role, details,
            evidence_id, created_by_id, created_at)
        SELECT ce.case_id, ce.entity_id,
               CASE WHEN ce.kind = 'person' THEN
                        substr('{SURNAMES}', 1 + mod(ce.d, {len(SURNAMES)})::int, 1)
                        || ({_sql_array(GIVEN)})[1 + mod(ce.d / {len(SURNAMES)}, {len(GIVEN)})]
                    WHEN ce.ident >= 3000000000000 THEN
                        ({_sql_array(HUB_LABELS)})[1 + ce.hub_label]
                    ELSE '' END,
               ce.role,
               CASE WHEN ce.kind = 'person' THEN jsonb_build_object('id_number', ce.key)
                    ELSE '{{}}'::jsonb END,
               c.evidence_id, NULL, least(c.opened_at + interval '2 hours', now())
        FROM scale_ce ce JOIN scale_case c ON c.case_id = ce.case_id
        ORDER BY ce.case_id, ce.s""")  # noqa: S608 - constants
    return cur.rowcount


def _links(cur) -> int:
    tmpl = ", ".join(f"({i}, '{kind}', {a}, {b})" for i, (kind, a, b) in enumerate(LINKS))
    cur.execute(f"""
        INSERT INTO entities_link (case_id, kind, source_id, target_id, evidence_id, count,
            first_seen, last_seen, attributes, version, created_by_id, created_at, updated_at)
        SELECT case_id, kind,
               CASE WHEN kind = 'MET' THEN least(sa, tb) ELSE sa END,
               CASE WHEN kind = 'MET' THEN greatest(sa, tb) ELSE tb END,
               evidence_id,
               CASE kind WHEN 'CALLED' THEN 1 + floor(pow(r1, 2) * 120)::int
                         WHEN 'TRANSFERRED_TO' THEN 1 + floor(pow(r1, 2) * 20)::int
                         ELSE 1 + floor(r1 * 5)::int END,
               first_seen, least(first_seen + r2 * interval '67 days', now()),
               '{{}}'::jsonb, 1, NULL, created, created
        FROM (
            SELECT c.case_id, t.kind, a.entity_id AS sa, b.entity_id AS tb, c.evidence_id,
                   pg_temp.u(c.seq * 32 + t.i, 40) AS r1, pg_temp.u(c.seq * 32 + t.i, 41) AS r2,
                   c.reported_at - pg_temp.u(c.seq * 32 + t.i, 42) * interval '60 days'
                       AS first_seen,
                   least(c.opened_at + interval '2 hours', now()) AS created
            FROM scale_case c
            JOIN (VALUES {tmpl}) AS t(i, kind, sa, sb) ON t.i < c.n_links
            JOIN scale_ce a ON a.case_id = c.case_id AND a.s = t.sa
            JOIN scale_ce b ON b.case_id = c.case_id AND b.s = t.sb) AS x
        ORDER BY case_id, kind""")  # noqa: S608 - constants
    return cur.rowcount


def _outbox(cur, progress: Progress) -> int:
    """The graph outbox rows of every seeded link and involvement, by the product's own
    SQL, in chunks (progress between them)."""
    written = 0
    for name, sql, enqueue in (
        ("links", "SELECT l.id FROM entities_link l JOIN rooms_case c ON c.id = l.case_id "
                  "WHERE c.number LIKE %s ORDER BY l.id", enqueue_link_ids),
        ("involvements", "SELECT ce.id FROM entities_caseentity ce JOIN rooms_case c "
                         "ON c.id = ce.case_id WHERE c.number LIKE %s ORDER BY ce.id",
         enqueue_involvement_ids),
    ):
        cur.execute(sql, [PREFIX + "%"])
        ids = [row[0] for row in cur.fetchall()]
        t = time.perf_counter()
        for start in range(0, len(ids), OUTBOX_CHUNK):
            enqueue(ids[start:start + OUTBOX_CHUNK])
            done = min(start + OUTBOX_CHUNK, len(ids))
            if done % (OUTBOX_CHUNK * 5) == 0 or done == len(ids):
                progress(f"    outbox {name}: {done:,}/{len(ids):,} "
                         f"({done / (time.perf_counter() - t):,.0f} rows/s)")
        written += len(ids)
    return written


def _bench_user(cur, plan: Plan, units: list[int]) -> int:
    """bench_investigator, a member of `member_cases` seeded cases (two thirds from gang
    series, so that series analysis finds linked rooms, some of them masked). Memberships
    are written here; the guardian rows come from the one derivation service."""
    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User.objects.create(username=BENCH_USER, display_name="基准测试侦查员",
                                   unit_id=units[0], org_role=OrgRole.INVESTIGATOR,
                                   password=make_password(None))
    in_gangs = plan.member_cases * 2 // 3
    cur.execute("""
        (SELECT case_id FROM scale_case WHERE gang IS NOT NULL
         ORDER BY pg_temp.u(seq, 50) LIMIT %s)
        UNION ALL
        (SELECT case_id FROM scale_case WHERE gang IS NULL
         ORDER BY pg_temp.u(seq, 51) LIMIT %s)""", [in_gangs, plan.member_cases - in_gangs])
    case_ids = [row[0] for row in cur.fetchall()]
    Membership.objects.bulk_create([Membership(case_id=c, user=user, role=RoomRole.MEMBER)
                                    for c in case_ids])
    for case_id in case_ids:
        sync_case_permissions(case_id=case_id, user_id=user.pk)
    return len(case_ids)


ANALYZED = ["accounts_unit", "dispatch_instruction", "dispatch_assignment", "dispatch_arrest",
            "dispatch_recovery",
            "rooms_case", "evidence_evidenceitem", "evidence_custodyentry", "entities_entity",
            "entities_caseentity", "entities_link", "core_graphoutbox", "rooms_membership",
            "rooms_caseuserobjectpermission",
            # the per-unit medians are read off index-only scans of these (the visibility
            # map); unvacuumed, every entry is a heap fetch: 1.5 s instead of 0.3 s
            "stats_casefact", "stats_assignmentfact", "stats_unitday"]


def vacuum_analyze(progress: Progress, report: Report) -> None:
    """The steady state autovacuum keeps production tables in (planner statistics, the
    visibility map for index-only scans); VACUUM cannot run inside a transaction."""
    if connection.in_atomic_block:  # a caller's transaction (tests): statistics only
        with report.step("ANALYZE", progress), connection.cursor() as cur:
            for table in ANALYZED:
                cur.execute(f"ANALYZE {table}")
        return
    with report.step("VACUUM ANALYZE", progress):
        connection.ensure_connection()
        was = connection.connection.autocommit
        connection.connection.autocommit = True
        try:
            with connection.cursor() as cur:
                for table in ANALYZED:
                    cur.execute(f"VACUUM ANALYZE {table}")
        finally:
            connection.connection.autocommit = was


def seed(plan: Plan, progress: Progress = print) -> Report:
    """Write the whole seed in one transaction, then VACUUM ANALYZE. Raises AlreadySeeded
    when seeded cases exist already, ValueError for sizes out of range."""
    plan.check()
    if n := existing():
        raise AlreadySeeded(n)
    report = Report()
    used = sorted({s for _k, a, b in LINKS[:-(-plan.links // plan.cases)] for s in (a, b)})
    with transaction.atomic(), connection.cursor() as cur:
        _drop_temp_tables(cur)
        for statement in _functions(plan.seed):
            cur.execute(statement)
        with report.step("units", progress) as st:
            units = _units(progress)
            st.rows = len(units)
        with report.step("cases", progress) as st:
            st.rows = _cases(cur, plan, units)
        with report.step("evidence items", progress) as st:
            st.rows = _evidence(cur)
        with report.step("custody entries (HMAC, COPY)", progress) as st:
            st.rows = _custody(cur)
        with report.step("case slots (temporary)", progress) as st:
            _scale_case(cur, plan)
            st.rows = _slots(cur, plan, used)
        with report.step("entities", progress) as st:
            distinct, created = _entities(cur, plan)
            st.rows = created
            if created != distinct:
                progress(f"    {distinct - created:,} of {distinct:,} keys existed already")
        with report.step("entities in cases", progress) as st:
            st.rows = _case_entities(cur)
        with report.step("links", progress) as st:
            st.rows = _links(cur)
        if plan.graph:
            with report.step("graph outbox rows", progress) as st:
                st.rows = _outbox(cur, progress)
        with report.step(f"{BENCH_USER} memberships", progress) as st:
            st.rows = _bench_user(cur, plan, units)
        if plan.n_assignments:
            _dispatch(cur, plan, units, used, report, progress)
        # set-based writes pass no signals: the statistics' facts, from what is there now
        with report.step("statistics facts", progress) as st:
            done = stats_facts.rebuild()
            st.rows = done["cases"] + done["assignments"]
        with report.step("commit", progress):
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
    vacuum_analyze(progress, report)
    return report


def _dispatch(cur, plan: Plan, units: list[int], used: list[int], report: Report,
              progress: Progress) -> None:
    """Capture instructions, assignments, arrests and recoveries (casework.demo.
    scale_dispatch). The suspects are the persons of slots 0 and 1 (those seeded)."""
    suspect_slots = len([s for s in used if SLOTS[s].role == "suspect"])
    with report.step("patrol echelons", progress) as st:
        st.rows = scale_dispatch.top_up_patrol_units(plan.patrol_units, progress)
    with report.step("instructions", progress) as st:
        st.rows = scale_dispatch.instructions(cur, plan.cases, plan.n_assignments,
                                              suspect_slots, units)
    with report.step("assignments", progress) as st:
        st.rows = scale_dispatch.assignments(cur, plan.n_assignments)
    with report.step("arrests", progress) as st:
        st.rows = scale_dispatch.arrests(cur)
    with report.step("recoveries", progress) as st:
        st.rows = scale_dispatch.recoveries(cur, PREFIX)
    with report.step("busy units", progress) as st:
        st.rows = scale_dispatch.unit_statuses(cur)


def enqueue_graph(progress: Progress = print) -> int:
    """The outbox rows of every seeded link and involvement again (after the graph was
    lost or renamed); the caller drains them."""
    with transaction.atomic(), connection.cursor() as cur:
        return _outbox(cur, progress)


class AlreadySeeded(Exception):
    def __init__(self, cases: int):
        super().__init__(f"{cases:,} cases numbered {PREFIX}… exist already: this database "
                         f"was seeded. Run with --reset to remove them first (or --graph-only "
                         f"to project them into the graph again).")
        self.cases = cases


def reset(progress: Progress = print) -> Report:
    """Remove every seeded case and what hangs from it: instructions, assignments, arrests
    and recoveries, links, entities in cases, evidence and custody, outbox rows,
    memberships and permission rows, and the entities that no other row names any more.
    The patrol echelons a seed added stay in the tree. The graph is the caller's to
    rebuild."""
    report = Report()
    with transaction.atomic(), connection.cursor() as cur:
        _drop_temp_tables(cur)
        cur.execute(f"""CREATE TEMP TABLE scale_gone ON COMMIT DROP AS
                        SELECT id FROM rooms_case WHERE number LIKE '{PREFIX}%%'""")  # noqa: S608
        cur.execute("ALTER TABLE scale_gone ADD PRIMARY KEY (id)")
        cur.execute("""CREATE TEMP TABLE scale_gone_entities ON COMMIT DROP AS
                       SELECT DISTINCT entity_id AS id FROM entities_caseentity
                       WHERE case_id IN (SELECT id FROM scale_gone)""")
        with report.step("outbox rows", progress) as st:
            cur.execute("""DELETE FROM core_graphoutbox o USING entities_link l
                           WHERE l.case_id IN (SELECT id FROM scale_gone)
                             AND o.key = 'link:' || l.id""")
            st.rows = cur.rowcount
            cur.execute("""DELETE FROM core_graphoutbox o USING entities_caseentity ce
                           WHERE ce.case_id IN (SELECT id FROM scale_gone)
                             AND o.key = 'involvement:' || ce.case_id || ':' || ce.entity_id""")
            st.rows += cur.rowcount
        with report.step("statistics facts", progress) as st:
            cur.execute("DELETE FROM stats_assignmentfact "
                        "WHERE case_id IN (SELECT id FROM scale_gone)")
            st.rows = cur.rowcount
            cur.execute("DELETE FROM stats_casefact WHERE case_id IN (SELECT id FROM scale_gone)")
            st.rows += cur.rowcount
            st.rows += stats_facts.rebuild_unit_days()   # the sums over what remains
        with report.step("instructions, assignments, arrests, recoveries", progress) as st:
            st.rows = scale_dispatch.remove(cur)
        for name, sql in (
            ("links", "DELETE FROM entities_link WHERE case_id IN (SELECT id FROM scale_gone)"),
            ("entities in cases", "DELETE FROM entities_caseentity "
                                  "WHERE case_id IN (SELECT id FROM scale_gone)"),
            ("custody entries", "DELETE FROM evidence_custodyentry WHERE evidence_id IN "
                                "(SELECT e.id FROM evidence_evidenceitem e "
                                "WHERE e.case_id IN (SELECT id FROM scale_gone))"),
            ("evidence items", "DELETE FROM evidence_evidenceitem "
                               "WHERE case_id IN (SELECT id FROM scale_gone)"),
        ):
            with report.step(name, progress) as st:
                cur.execute(sql)
                st.rows = cur.rowcount
        with report.step("cases (and what cascades)", progress) as st:
            st.rows, _ = Case.objects.filter(number__startswith=PREFIX).delete()
        with report.step("entities no longer named", progress) as st:
            cur.execute("""
                DELETE FROM entities_entity e USING scale_gone_entities g
                WHERE e.id = g.id
                  AND NOT EXISTS (SELECT 1 FROM entities_caseentity x WHERE x.entity_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_link x WHERE x.source_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_link x WHERE x.target_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_callrecord x
                                  WHERE x.caller_id = e.id OR x.callee_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_sighting x
                                  WHERE x.vehicle_id = e.id OR x.camera_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_entitymerge x
                                  WHERE x.survivor_id = e.id OR x.merged_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM entities_entity x WHERE x.merged_into_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM dispatch_instruction x
                                  WHERE x.target_entity_id = e.id)
                  AND NOT EXISTS (SELECT 1 FROM dispatch_arrest x WHERE x.person_id = e.id)
                """)
            st.rows = cur.rowcount
        with report.step("commit", progress):
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
    return report
