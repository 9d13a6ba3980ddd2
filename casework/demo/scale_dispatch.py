"""The dispatch side of `seed_scale`: capture instructions for the seeded cases, their
assignments to the patrol echelons of each case's own bureau, the arrests and recoveries
they led to. Set-based SQL over the seed's temporary tables (casework.demo.scale), random
numbers from pg_temp.u (a hash of row, salt and seed), so a seed is reproducible.

The shape is the demo history's (casework.demo.history): each instruction goes to two or
three units (a second unit in support, or the replacement of a unit that did not
acknowledge in time); an assignment is delivered in seconds, acknowledged within the 60 s
deadline in over 99 % of cases, on scene minutes later, completed about an hour and a
half after it was sent; a few are declined, reassigned or withdrawn by the room. The first
unit to capture a suspect records the arrest (one per person and case), the other units
of that instruction took part in it; a few suspects are never caught; recoveries are most
of the loss; 2 % of instructions are drills, with name-only drill arrests. What would
happen after the seed's transaction started (`now()`) has not happened yet: recent cases
have open assignments, and their units are busy.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import models

from casework.accounts.choices import PatrolKind, UnitKind, UnitStatus
from casework.accounts.models import Unit
from casework.demo.history import DECLINE_REASONS
from casework.dispatch.choices import OPEN_STATUSES
from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery

Progress = Callable[[str], None]

PER_INSTRUCTION = 2.5          # assignments per instruction on average
DRILL_SHARE = 0.02
FUGITIVE_SHARE = 0.02          # suspects never caught
FIRST_CALL_SIGN = 8001
TEMP_TABLES = ("scale_pool", "scale_instr", "scale_asg", "scale_gone_asg")
OPEN = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))
KINDS = [("capture", 0.45), ("search", 0.65), ("intercept", 0.80), ("verify", 0.90)]  # else guard
TEXTS = {"capture": "抓捕嫌疑人（合成数据）", "search": "搜查可疑落脚点（合成数据）",
         "intercept": "卡口拦截涉案车辆（合成数据）", "verify": "核查可疑人员身份（合成数据）",
         "guard": "现场看护警戒（合成数据）"}


def instructions_for(assignments: int) -> int:
    if assignments <= 0:
        return 0
    return max(1, round(assignments / PER_INSTRUCTION))


# ---- the units ----------------------------------------------------------------------------

def top_up_patrol_units(want: int, progress: Progress) -> int:
    """Patrol echelons until the tree has `want`, spread over its county bureaus (each
    under its patrol brigade, made when it has none), so that per-unit tables have a
    realistic number of rows. Returns how many were made."""
    have = Unit.objects.filter(kind=UnitKind.PATROL).count()
    if have >= want:
        return 0
    counties = (list(Unit.objects.filter(kind=UnitKind.COUNTY_BUREAU).order_by("path"))
                or list(Unit.objects.filter(depth=1).order_by("path")))
    brigades = []
    for county in counties:
        patrol = Unit.objects.filter(kind=UnitKind.PATROL, path__startswith=county.path).first()
        parent = Unit.objects.get_parent(patrol) if patrol is not None else None
        if parent is None or parent.kind != UnitKind.BRIGADE:
            name = f"{county.name}巡特警大队"
            parent = (Unit.objects.get_children(county).filter(name=name).first()
                      or Unit.objects.add_child(Unit.objects.get(pk=county.pk),
                                                {"name": name, "kind": UnitKind.BRIGADE}))
        brigades.append(parent.pk)
    taken = set(Unit.objects.exclude(call_sign="").values_list("call_sign", flat=True))
    call_sign = FIRST_CALL_SIGN
    for n in range(want - have):
        while str(call_sign) in taken:
            call_sign += 1
        kind = (PatrolKind.CAR if n % 10 < 7 else PatrolKind.MOTORCYCLE if n % 10 < 9
                else PatrolKind.FOOT)
        suffix = {PatrolKind.CAR: "巡逻组", PatrolKind.MOTORCYCLE: "摩托巡逻组",
                  PatrolKind.FOOT: "步巡组"}[kind]
        # re-read the parent: treebeard computes the child's path from its numchild
        Unit.objects.add_child(Unit.objects.get(pk=brigades[n % len(brigades)]), {
            "name": f"巡特警{call_sign}{suffix}", "name_en": f"Patrol echelon {call_sign}",
            "kind": UnitKind.PATROL, "call_sign": str(call_sign), "patrol_kind": kind,
            "lat": round(24.2 + (n * 7919 % 800) / 1000, 4),
            "lon": round(117.0 + (n * 104729 % 1000) / 1000, 4)})
        call_sign += 1
    progress(f"    {want - have:,} patrol echelons added (the tree had {have:,})")
    return want - have


def _pools(cur, owning_units: list[int]) -> None:
    """Temporary: owning unit → the patrol units of its bureau (the nearest county or city
    bureau at or above it: the units its rooms may dispatch)."""
    units = list(Unit.objects.values_list("id", "path", "kind"))
    kind_at = {path: kind for _pk, path, kind in units}
    path_of = {pk: path for pk, path, _kind in units}
    patrols = sorted((path, pk) for pk, path, kind in units if kind == UnitKind.PATROL)
    bureaus = (UnitKind.COUNTY_BUREAU, UnitKind.CITY_BUREAU)
    rows = []
    for pk in owning_units:
        path = path_of[pk]
        bureau = next((path[:end] for end in range(len(path), 0, -Unit.steplen)
                       if kind_at.get(path[:end]) in bureaus), path[:Unit.steplen])
        pool = [i for p, i in patrols if p.startswith(bureau)] or [i for _p, i in patrols]
        rows.append((pk, pool, len(pool)))
    cur.execute("CREATE TEMP TABLE scale_pool (owning_unit_id bigint PRIMARY KEY, "
                "units bigint[] NOT NULL, n int NOT NULL) ON COMMIT DROP")
    cur.executemany("INSERT INTO scale_pool VALUES (%s, %s, %s)", rows)


# ---- instructions and assignments ---------------------------------------------------------

def _sequence(cur, model: type[models.Model]) -> str:
    """The id sequence of the model's table: ids are drawn in the temporary tables, so that
    rows can name each other (a replacement its predecessor) before they are written."""
    cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [model._meta.db_table])
    return cur.fetchone()[0]


def _lognormal(median: str, sigma: float, x: str, salt: int) -> str:
    """SQL for a lognormal draw (Box–Muller on two hashes of row `x`)."""
    return (f"({median} * exp({sigma} * sqrt(-2 * ln(greatest(pg_temp.u({x}, {salt}), 1e-12)))"
            f" * cos(2 * pi() * pg_temp.u({x}, {salt + 1}))))")


def instructions(cur, cases: int, assignments: int, suspect_slots: int,
                 owning_units: list[int]) -> int:
    """Temporary scale_instr, then the instructions: spread evenly over the cases, in
    order within each case between its opening and three days later (or its closing)."""
    total = instructions_for(assignments)
    _pools(cur, owning_units)
    kind = "CASE " + " ".join(f"WHEN pg_temp.u(j, 101) < {t} THEN '{k}'" for k, t in KINDS) \
        + " ELSE 'guard' END"
    cur.execute(f"""
        CREATE TEMP TABLE scale_instr ON COMMIT DROP AS
        SELECT nextval('{_sequence(cur, Instruction)}') AS id, x.*,
               CASE WHEN drill OR kind <> 'capture' THEN NULL ELSE mod(q, {suspect_slots}) END
                   AS slot,
               start + (q + pg_temp.u(j, 103)) / m * (greatest(stop, start) - start)
                   AS issued_at
        FROM (
            SELECT g.j, g.q, g.m, c.case_id, c.seq, r.owning_unit_id, r.location,
                   round((r.lat + (pg_temp.u(g.j, 104) - 0.5) * 0.03)::numeric, 5)::float8
                       AS lat,
                   round((r.lon + (pg_temp.u(g.j, 105) - 0.5) * 0.03)::numeric, 5)::float8
                       AS lon,
                   pg_temp.u(g.j, 100) < {DRILL_SHARE} AS drill,
                   CASE WHEN pg_temp.u(g.j, 100) < {DRILL_SHARE} OR g.q < {suspect_slots}
                        THEN 'capture' ELSE {kind} END AS kind,
                   CASE WHEN pg_temp.u(g.j, 102) < 0.25 THEN 'urgent'
                        WHEN pg_temp.u(g.j, 102) < 0.70 THEN 'high'
                        WHEN pg_temp.u(g.j, 102) < 0.95 THEN 'normal' ELSE 'low' END
                       AS priority,
                   r.opened_at + least(interval '10 minutes', (now() - r.opened_at) / 2)
                       AS start,
                   least(r.opened_at + interval '3 days',
                         coalesce(r.closed_at - interval '9 hours', now()),
                         now() - interval '1 minute') AS stop
            FROM (SELECT j, seq, (row_number() OVER w - 1)::int AS q,
                         (count(*) OVER w)::int AS m
                  FROM (SELECT j, 1 + ((j - 1) * {cases}::bigint) / {total} AS seq
                        FROM generate_series(1, {total}) AS j) AS a
                  WINDOW w AS (PARTITION BY seq)) AS g
            JOIN scale_case c ON c.seq = g.seq
            JOIN rooms_case r ON r.id = c.case_id) AS x
        """)  # noqa: S608 - constants
    cur.execute("CREATE UNIQUE INDEX ON scale_instr (j)")
    cur.execute("ANALYZE scale_instr")
    texts = "CASE i.kind " + " ".join(f"WHEN '{k}' THEN '{t}'" for k, t in TEXTS.items()) \
        + " END"
    cur.execute(f"""
        INSERT INTO {Instruction._meta.db_table} (id, case_id, kind, priority, text,
            target_entity_id, lat, lon, place, ack_deadline_s, drill, issued_by_id, issued_at)
        SELECT i.id, i.case_id, i.kind, i.priority,
               CASE WHEN i.drill THEN '【演练】' ELSE '' END || {texts},
               ce.entity_id, i.lat, i.lon, i.location || '附近', 60, i.drill, NULL, i.issued_at
        FROM scale_instr i
        LEFT JOIN scale_ce ce ON ce.case_id = i.case_id AND ce.s = i.slot
        ORDER BY i.id""")  # noqa: S608 - constants
    return cur.rowcount


def assignments(cur, assignments: int) -> int:
    """Temporary scale_asg (each assignment's steps, planned, then cut at now()), the
    results (the first unit to capture a suspect captured; others who were there handed
    over), then the assignments themselves."""
    total = instructions_for(assignments)
    reasons = "(ARRAY[" + ", ".join(f"'{r}'" for r in DECLINE_REASONS) + "])"
    ack = _lognormal("13", 0.6, "k", 114)
    travel = _lognormal("8", 0.5, "k", 117)
    capture = _lognormal("75", 0.7, "k", 121)
    cur.execute(f"""
        CREATE TEMP TABLE scale_asg ON COMMIT DROP AS
        SELECT nextval('{_sequence(cur, Assignment)}') AS id, *,
               CASE
                 WHEN outcome = 'reassigned' THEN 'cancelled'
                 WHEN cancelled_at IS NOT NULL THEN 'cancelled'
                 WHEN declined_at IS NOT NULL THEN 'declined'
                 WHEN completed_at IS NOT NULL THEN 'completed'
                 WHEN on_scene_at IS NOT NULL THEN 'on_scene'
                 WHEN en_route_at IS NOT NULL THEN 'en_route'
                 WHEN acknowledged_at IS NOT NULL THEN 'acknowledged'
                 WHEN delivered_at IS NOT NULL THEN 'delivered'
                 ELSE 'sent' END AS status,
               completed_at IS NOT NULL AND kind = 'capture' AND pg_temp.u(k, 125) < 0.88
                 AND (drill OR pg_temp.u(seq * 2 + slot, 126) >= {FUGITIVE_SHARE}) AS cand,
               CASE WHEN completed_at IS NULL THEN ''
                    WHEN kind = 'capture' OR pg_temp.u(k, 127) < 0.4 THEN 'not_found'
                    ELSE 'handed_over' END AS result
        FROM (
            SELECT d.*,
                   CASE WHEN d.delivered_p <= now() THEN d.delivered_p END AS delivered_at,
                   CASE WHEN outcome = 'works' OR outcome = 'withdrawn' THEN
                        CASE WHEN ack_p <= now() THEN ack_p END END AS acknowledged_at,
                   CASE WHEN outcome = 'works' OR outcome = 'withdrawn' THEN
                        CASE WHEN en_route_p <= now() THEN en_route_p END END AS en_route_at,
                   CASE WHEN outcome = 'works' AND on_scene_p <= now() THEN on_scene_p END
                       AS on_scene_at,
                   CASE WHEN outcome = 'works' AND completed_p <= now() THEN completed_p END
                       AS completed_at,
                   CASE WHEN outcome = 'declined' AND declined_p <= now() THEN declined_p END
                       AS declined_at,
                   CASE WHEN outcome = 'declined' AND declined_p <= now()
                        THEN {reasons}[1 + floor(pg_temp.u(k, 119) * {len(DECLINE_REASONS)})::int]
                        ELSE '' END
                       AS reason,
                   CASE WHEN outcome = 'reassigned' THEN least(d.sent_p + interval '90 seconds',
                                                               now())
                        WHEN outcome = 'withdrawn' AND withdrawn_p <= now() THEN withdrawn_p
                        END AS cancelled_at
            FROM (
                SELECT c.*,
                       c.en_route_p + c.travel_min * interval '1 minute' AS on_scene_p,
                       c.sent_p + least(interval '8 hours', greatest(
                           c.en_route_p + (c.travel_min + 5) * interval '1 minute' - c.sent_p,
                           c.capture_min * interval '1 minute')) AS completed_p,
                       coalesce(c.delivered_p, c.sent_p)
                           + (8 + 37 * pg_temp.u(k, 120)) * interval '1 second' AS declined_p,
                       c.en_route_p + (1 + 9 * pg_temp.u(k, 123)) * interval '1 minute'
                           AS withdrawn_p
                FROM (
                    SELECT b.*,
                           b.ack_p + (5 + 35 * pg_temp.u(k, 116)) * interval '1 second'
                               AS en_route_p,
                           greatest(2, {travel}) AS travel_min, {capture} AS capture_min
                FROM (
                    SELECT a.*,
                           a.sent_p + greatest(
                               extract(epoch FROM coalesce(a.delivered_p, a.sent_p) - a.sent_p)
                               + 1, {ack}) * interval '1 second' AS ack_p
                    FROM (
                        SELECT g.k, g.j, g.r, g.n, i.id AS instruction_id, i.case_id, i.seq,
                               i.slot, i.kind, i.drill, i.lat, i.lon, i.location,
                               pl.units[1 + mod(floor(pg_temp.u(g.j, 110) * pl.n)::int + g.r,
                                                pl.n)] AS unit_id,
                               least(i.issued_at + g.r * interval '90 seconds', now()) AS sent_p,
                               CASE WHEN pg_temp.u(g.k, 113) < 0.97
                                    THEN least(i.issued_at + g.r * interval '90 seconds', now())
                                         + (0.4 + 2.6 * pg_temp.u(g.k, 112))
                                           * interval '1 second' END AS delivered_p,
                               CASE WHEN pg_temp.u(g.k, 111) < 0.03 THEN 'declined'
                                    WHEN pg_temp.u(g.k, 111) < 0.06 AND g.r < g.n - 1
                                        THEN 'reassigned'
                                    WHEN pg_temp.u(g.k, 111) < 0.06 THEN 'withdrawn'
                                    ELSE 'works' END AS outcome
                        FROM (SELECT k, j, (row_number() OVER w - 1)::int AS r,
                                     (count(*) OVER w)::int AS n
                              FROM (SELECT k, 1 + ((k - 1) * {total}::bigint) / {assignments}
                                               AS j
                                    FROM generate_series(1, {assignments}) AS k) AS kk
                              WINDOW w AS (PARTITION BY j)) AS g
                        JOIN scale_instr i ON i.j = g.j
                        JOIN scale_pool pl ON pl.owning_unit_id = i.owning_unit_id
                        OFFSET 0) AS a
                    OFFSET 0) AS b
                    OFFSET 0) AS c
                OFFSET 0) AS d
            OFFSET 0) AS q
        """)  # noqa: S608 - constants
    cur.execute("CREATE UNIQUE INDEX ON scale_asg (k)")
    cur.execute("ANALYZE scale_asg")
    # A suspect (a drill's target) is caught once: by the first unit to get them, which
    # records the arrest; the other units of that instruction took part (captured too);
    # units of other instructions after them found them gone (not found) before, or were
    # handed them over after.
    cur.execute("ALTER TABLE scale_asg ADD COLUMN arrest bool NOT NULL DEFAULT false")
    cur.execute("""
        UPDATE scale_asg a
        SET result = CASE WHEN a.j = f.j THEN 'captured'
                          WHEN a.completed_at < f.at THEN 'not_found' ELSE 'handed_over' END,
            arrest = a.k = f.k
        FROM (SELECT DISTINCT ON (who) who, j, k, completed_at AS at
              FROM (SELECT *, CASE WHEN drill THEN 'drill ' || j
                                   ELSE case_id || ':' || slot END AS who
                    FROM scale_asg WHERE cand) AS c
              ORDER BY who, completed_at, k) AS f
        WHERE a.cand AND f.who = CASE WHEN a.drill THEN 'drill ' || a.j
                                      ELSE a.case_id || ':' || a.slot END""")
    cur.execute(f"""
        INSERT INTO {Assignment._meta.db_table} (id, instruction_id, unit_id, status, result,
            reason, ack_deadline_at, sent_at, delivered_at, acknowledged_at, en_route_at,
            on_scene_at, completed_at, declined_at, cancelled_at, positions, replaces_id,
            updated_at)
        SELECT id, instruction_id, unit_id, status, result, reason,
               sent_p + interval '60 seconds', sent_p, delivered_at, acknowledged_at,
               en_route_at, on_scene_at, completed_at, declined_at, cancelled_at,
               CASE WHEN on_scene_at IS NULL THEN '{{}}'::jsonb
                    ELSE jsonb_build_object('on_scene', jsonb_build_array(lat, lon)) END,
               CASE WHEN lag(outcome) OVER w = 'reassigned' THEN lag(id) OVER w END,
               greatest(sent_p, delivered_at, acknowledged_at, en_route_at, on_scene_at,
                        completed_at, declined_at, cancelled_at)
        FROM scale_asg
        WINDOW w AS (PARTITION BY j ORDER BY r)
        ORDER BY id""")  # noqa: S608 - constants
    return cur.rowcount


def arrests(cur) -> int:
    """One arrest per capture: the suspect of the slot (by name alone in a drill), at the
    scene before the unit reported completion."""
    cur.execute(f"""
        INSERT INTO {Arrest._meta.db_table} (case_id, person_id, name, arrested_at, place,
            lat, lon, unit_id, assignment_id, drill, recorded_by_id, recorded_at)
        SELECT a.case_id, CASE WHEN a.drill THEN NULL ELSE sc.entity_id END,
               CASE WHEN a.drill THEN '演练目标（模拟）'
                    ELSE coalesce(nullif(ce.label, ''), '嫌疑人') END,
               greatest(a.on_scene_at + interval '1 minute',
                        a.completed_at - (2 + 13 * pg_temp.u(a.k, 130)) * interval '1 minute'),
               a.location || '附近', a.lat, a.lon, a.unit_id, a.id, a.drill, NULL,
               least(a.completed_at + (3 + 22 * pg_temp.u(a.k, 131)) * interval '1 minute',
                     now())
        FROM scale_asg a
        LEFT JOIN scale_ce sc ON NOT a.drill AND sc.case_id = a.case_id AND sc.s = a.slot
        LEFT JOIN entities_caseentity ce ON ce.case_id = sc.case_id
                                        AND ce.entity_id = sc.entity_id
        WHERE a.arrest
        ORDER BY a.case_id, a.id""")  # noqa: S608 - constants
    return cur.rowcount


def recoveries(cur, prefix: str) -> int:
    """Most of the reported loss for a case with an arrest (over it now and then: the
    goods of other cases), under its first arrest's assignment; a third of the drill
    arrests come with a drill recovery. The case's recovered value is then the sum of its
    non-drill recoveries, as casework.dispatch.services keeps it."""
    cur.execute(f"""
        INSERT INTO {Recovery._meta.db_table} (case_id, items, value, recovered_at, unit_id,
            assignment_id, drill, recorded_by_id, recorded_at)
        SELECT case_id, items, value, at, unit_id, assignment_id, drill, NULL,
               least(at + interval '30 minutes', now())
        FROM (
            SELECT f.case_id, '追回赃款赃物（合成数据）' AS items,
                   round(c.reported_loss * CASE WHEN pg_temp.u(f.seq, 140) < 0.005
                                                THEN 1.1 + 0.4 * pg_temp.u(f.seq, 141)
                                                ELSE pow(pg_temp.u(f.seq, 142), 0.28)
                                           END::numeric, 2) AS value,
                   least(f.arrested_at + interval '20 minutes'
                             + pg_temp.u(f.seq, 143) * interval '2 days',
                         coalesce(c.closed_at, now()), now()) AS at,
                   f.unit_id, f.assignment_id, false AS drill
            FROM (SELECT DISTINCT ON (ar.case_id) ar.case_id, s.seq, ar.arrested_at, ar.unit_id,
                         ar.assignment_id
                  FROM {Arrest._meta.db_table} ar JOIN scale_case s ON s.case_id = ar.case_id
                  WHERE NOT ar.drill ORDER BY ar.case_id, ar.arrested_at, ar.id) AS f
            JOIN rooms_case c ON c.id = f.case_id
            WHERE c.reported_loss > 0
            UNION ALL
            SELECT a.case_id, '【演练】模拟追缴物品', (10 + floor(pg_temp.u(a.k, 145) * 40)) * 100,
                   a.completed_at, a.unit_id, a.id, true
            FROM scale_asg a WHERE a.drill AND a.arrest AND pg_temp.u(a.k, 144) < 0.3) AS x
        ORDER BY case_id, at""")  # noqa: S608 - constants
    written = cur.rowcount
    cur.execute(f"""
        UPDATE rooms_case c SET recovered_value = r.total
        FROM (SELECT case_id, sum(value) AS total FROM {Recovery._meta.db_table}
              WHERE NOT drill GROUP BY case_id) AS r
        WHERE r.case_id = c.id AND c.number LIKE %s""", [prefix + "%"])  # noqa: S608
    return written


def unit_statuses(cur) -> int:
    """Busy while holding an open assignment (casework.dispatch.services keeps it so).
    The units are read first: the UPDATE joined to the million-row temporary table took
    99 s inside the seed's transaction (0.2 s on the same rows outside it)."""
    cur.execute(f"SELECT DISTINCT unit_id FROM scale_asg WHERE status IN ({OPEN})")  # noqa: S608
    busy = [row[0] for row in cur.fetchall()]
    cur.execute(f"""UPDATE {Unit._meta.db_table} SET status = '{UnitStatus.BUSY}'
                    WHERE status = '{UnitStatus.AVAILABLE}' AND id = ANY(%s)""",  # noqa: S608
                [busy])
    return cur.rowcount


# ---- removal ------------------------------------------------------------------------------

def _cascade(cur, model: type[models.Model], ids_sql: str) -> int:
    """Delete the rows of other models that reference these rows with on_delete CASCADE
    (the escalations; the statistics' facts, whatever app they live in)."""
    deleted = 0
    for rel in model._meta.related_objects:
        if rel.on_delete is models.CASCADE and rel.related_model is not model:
            cur.execute(f"DELETE FROM {rel.related_model._meta.db_table} "  # noqa: S608
                        f"WHERE {rel.field.column} IN ({ids_sql})")
            deleted += cur.rowcount
    return deleted


def remove(cur) -> int:
    """Before the seeded cases go (scale_gone): their arrests and recoveries (which
    protect the assignments), assignments, instructions, and what cascades from them;
    units no longer on an open assignment are available again."""
    cur.execute(f"""CREATE TEMP TABLE scale_gone_asg ON COMMIT DROP AS
                    SELECT a.id FROM {Assignment._meta.db_table} a
                    JOIN {Instruction._meta.db_table} i ON i.id = a.instruction_id
                    WHERE i.case_id IN (SELECT id FROM scale_gone)""")  # noqa: S608
    cur.execute("ALTER TABLE scale_gone_asg ADD PRIMARY KEY (id)")
    units = f"SELECT DISTINCT unit_id FROM {Assignment._meta.db_table} WHERE id IN " \
            "(SELECT id FROM scale_gone_asg)"  # noqa: S608
    cur.execute(f"CREATE TEMP TABLE scale_pool ON COMMIT DROP AS {units}")
    deleted = 0
    for model in (Arrest, Recovery):
        cur.execute(f"DELETE FROM {model._meta.db_table} "  # noqa: S608
                    "WHERE case_id IN (SELECT id FROM scale_gone)")
        deleted += cur.rowcount
    deleted += _cascade(cur, Assignment, "SELECT id FROM scale_gone_asg")
    cur.execute(f"DELETE FROM {Assignment._meta.db_table} "  # noqa: S608
                "WHERE id IN (SELECT id FROM scale_gone_asg)")
    deleted += cur.rowcount
    instructions_sql = f"SELECT id FROM {Instruction._meta.db_table} " \
                       "WHERE case_id IN (SELECT id FROM scale_gone)"  # noqa: S608
    deleted += _cascade(cur, Instruction, instructions_sql)
    cur.execute(f"DELETE FROM {Instruction._meta.db_table} "  # noqa: S608
                "WHERE case_id IN (SELECT id FROM scale_gone)")
    deleted += cur.rowcount
    cur.execute(f"""
        UPDATE {Unit._meta.db_table} u SET status = '{UnitStatus.AVAILABLE}'
        WHERE u.status = '{UnitStatus.BUSY}' AND u.id IN (SELECT unit_id FROM scale_pool)
          AND NOT EXISTS (SELECT 1 FROM {Assignment._meta.db_table} a
                          WHERE a.unit_id = u.id AND a.status IN ({OPEN}))""")  # noqa: S608
    return deleted
