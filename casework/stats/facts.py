"""Writes the fact tables from the operational rows: for one case or assignment when it
changes (casework.stats.receivers, inside the writer's transaction), for all of them after a
bulk load (`rebuild`). One SQL statement per table serves both, so a single refresh and a
rebuild cannot disagree.

The definitions these statements implement are the README's ("Statistics"):
- a case's day is the calendar day of its alarm in Asia/Shanghai;
- suspects identified: the persons the room marked suspect, together with every person
  arrested in it (an arrested person was identified, marked or not); an arrest by name
  alone is one more person;
- suspects arrested: the case's arrests (one per person by constraint), drills apart;
- times are seconds from the alarm, never below 0 (NULL when there is no such time);
- recovered value: the sum of the case's recoveries, drills apart; `recovered_capped`, the
  part of it up to the reported loss, is what an aggregate recovery rate adds up;
- an assignment's day is the day it was sent; it is captured when completed with the
  result `captured`; acknowledged in time when acknowledged at or before its deadline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from django.db import connection

from casework.accounts.models import Unit  # noqa: F401  (the tables below reference it)
from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery
from casework.entities.models import CaseEntity
from casework.rooms.models import Case
from casework.stats.models import AssignmentFact, CaseFact, UnitDay

TZ = "Asia/Shanghai"


def _secs(later: str, earlier: str, sql_type: str) -> str:
    # greatest() skips NULLs: a missing time must stay NULL, not become 0
    return (f"(CASE WHEN {later} IS NOT NULL THEN "
            f"greatest(0, extract(epoch FROM {later} - {earlier}))::{sql_type} END)")

_CASE_SQL = f"""
INSERT INTO {CaseFact._meta.db_table} AS f (
    case_id, unit_id, category, day, is_open, reported_at, opened_at,
    suspects_identified, suspects_arrested, first_suspect_at, first_arrest_at,
    last_arrest_at, time_to_lock_s, time_to_first_arrest_s, time_to_last_arrest_s,
    reported_loss, recovered_value, recovered_capped, drill_arrests, drill_recovered)
SELECT c.id, c.owning_unit_id, c.category, (c.reported_at AT TIME ZONE '{TZ}')::date,
       c.status = 'open', c.reported_at, c.opened_at,
       (SELECT count(*) FROM (
            SELECT ce.entity_id FROM {CaseEntity._meta.db_table} ce
             WHERE ce.case_id = c.id AND ce.role = 'suspect'
            UNION
            SELECT ar.person_id FROM {Arrest._meta.db_table} ar
             WHERE ar.case_id = c.id AND NOT ar.drill AND ar.person_id IS NOT NULL) p)
         + coalesce(a.by_name, 0),
       coalesce(a.n, 0), s.first_at, a.first_at, a.last_at,
       {_secs('s.first_at', 'c.reported_at', 'bigint')},
       {_secs('a.first_at', 'c.reported_at', 'bigint')},
       {_secs('a.last_at', 'c.reported_at', 'bigint')},
       c.reported_loss, coalesce(r.total, 0), least(coalesce(r.total, 0), c.reported_loss),
       coalesce(a.drills, 0), coalesce(r.drill_total, 0)
  FROM {Case._meta.db_table} c
  LEFT JOIN LATERAL (
       SELECT count(*) FILTER (WHERE NOT drill) AS n,
              count(*) FILTER (WHERE NOT drill AND person_id IS NULL) AS by_name,
              count(*) FILTER (WHERE drill) AS drills,
              min(arrested_at) FILTER (WHERE NOT drill) AS first_at,
              max(arrested_at) FILTER (WHERE NOT drill) AS last_at
         FROM {Arrest._meta.db_table} WHERE case_id = c.id) a ON true
  LEFT JOIN LATERAL (
       SELECT sum(value) FILTER (WHERE NOT drill) AS total,
              sum(value) FILTER (WHERE drill) AS drill_total
         FROM {Recovery._meta.db_table} WHERE case_id = c.id) r ON true
  LEFT JOIN LATERAL (
       SELECT min(coalesce(suspect_since, created_at)) AS first_at
         FROM {CaseEntity._meta.db_table} WHERE case_id = c.id AND role = 'suspect') s ON true
 WHERE {{where}}
ON CONFLICT (case_id) DO UPDATE SET
    unit_id = excluded.unit_id, category = excluded.category, day = excluded.day,
    is_open = excluded.is_open, reported_at = excluded.reported_at,
    opened_at = excluded.opened_at, suspects_identified = excluded.suspects_identified,
    suspects_arrested = excluded.suspects_arrested,
    first_suspect_at = excluded.first_suspect_at, first_arrest_at = excluded.first_arrest_at,
    last_arrest_at = excluded.last_arrest_at, time_to_lock_s = excluded.time_to_lock_s,
    time_to_first_arrest_s = excluded.time_to_first_arrest_s,
    time_to_last_arrest_s = excluded.time_to_last_arrest_s,
    reported_loss = excluded.reported_loss, recovered_value = excluded.recovered_value,
    recovered_capped = excluded.recovered_capped, drill_arrests = excluded.drill_arrests,
    drill_recovered = excluded.drill_recovered
"""

_ASSIGNMENT_SQL = f"""
INSERT INTO {AssignmentFact._meta.db_table} AS f (
    assignment_id, unit_id, case_id, day, sent_at, drill, status, result, cancelled,
    counted, captured,
    ack_in_time, ack_s, arrive_s, complete_s)
SELECT a.id, a.unit_id, i.case_id, (a.sent_at AT TIME ZONE '{TZ}')::date, a.sent_at,
       i.drill, a.status, a.result, a.status = 'cancelled',
       a.status <> 'cancelled' OR a.acknowledged_at IS NOT NULL,
       a.status = 'completed' AND a.result = 'captured',
       a.acknowledged_at IS NOT NULL AND a.acknowledged_at <= a.ack_deadline_at,
       {_secs('a.acknowledged_at', 'a.sent_at', 'int')},
       {_secs('a.on_scene_at', 'a.sent_at', 'int')},
       {_secs('a.completed_at', 'a.sent_at', 'int')}
  FROM {Assignment._meta.db_table} a
  JOIN {Instruction._meta.db_table} i ON i.id = a.instruction_id
 WHERE {{where}}
ON CONFLICT (assignment_id) DO UPDATE SET
    unit_id = excluded.unit_id, case_id = excluded.case_id, day = excluded.day,
    sent_at = excluded.sent_at, drill = excluded.drill, status = excluded.status,
    result = excluded.result, cancelled = excluded.cancelled, counted = excluded.counted,
    captured = excluded.captured,
    ack_in_time = excluded.ack_in_time, ack_s = excluded.ack_s,
    arrive_s = excluded.arrive_s, complete_s = excluded.complete_s
"""

# Two writers refreshing one case (two arrests recorded at once) each recompute from what
# they see; the second must see the first's rows, so they take turns on the case. Read
# committed gives the waiting statement a fresh snapshot once the first commits.
_LOCK_CASE = "SELECT pg_advisory_xact_lock(hashtext('casework.stats.case'), %s)"


def refresh_cases(case_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in case_ids if i is not None})
    if not ids:
        return
    with connection.cursor() as cur:
        for case_id in ids:
            cur.execute(_LOCK_CASE, [case_id])
        cur.execute(_CASE_SQL.format(where="c.id = ANY(%s)"), [ids])


# What a unit is counted for, over its assignment facts: (name, the facts it counts). The
# per-unit table and the dashboard's work figures (casework.stats.figures) count these, and
# UnitDay keeps them per unit and day.
ASSIGNMENT_COUNTS = (
    ("received", "counted"),
    ("captured", "captured"),
    ("declined", "status = 'declined'"),
    ("cancelled", "cancelled"),
    ("acknowledged_in_time", "counted AND ack_in_time"),
)
# UnitDay also keeps how many times each nearest-rank figure is taken over (figures._RANKS)
RANK_COUNTS = (
    ("n_capture", "captured AND complete_s IS NOT NULL"),
    ("n_ack", "counted AND ack_s IS NOT NULL"),
    ("n_arrive", "counted AND arrive_s IS NOT NULL"),
)


def count_columns(counts) -> str:
    """SELECT columns counting the facts of each (name, condition)."""
    return ",\n    ".join(f"count(*) FILTER (WHERE {cond}) AS {name}" for name, cond in counts)


# UnitDay recomputed for the (unit, day) pairs given; a pair left without facts loses its
# rows.
_UNIT_DAY_COUNTS = count_columns(ASSIGNMENT_COUNTS + RANK_COUNTS)
_UNIT_DAY_COLUMNS = ", ".join(
    ("unit_id", "day", "drill", *(name for name, _ in ASSIGNMENT_COUNTS + RANK_COUNTS)))
_UNIT_DAY_UPDATE = ", ".join(
    f"{name} = excluded.{name}" for name, _ in ASSIGNMENT_COUNTS + RANK_COUNTS)
_UNIT_DAY_SQL = f"""
WITH keys AS (SELECT DISTINCT k.unit_id, k.day
              FROM unnest(%s::bigint[], %s::date[]) AS k(unit_id, day)),
sums AS (SELECT f.unit_id, f.day, f.drill, {_UNIT_DAY_COUNTS}
         FROM {AssignmentFact._meta.db_table} f
         JOIN keys k ON k.unit_id = f.unit_id AND k.day = f.day
         GROUP BY f.unit_id, f.day, f.drill),
gone AS (DELETE FROM {UnitDay._meta.db_table} u USING keys k
         WHERE u.unit_id = k.unit_id AND u.day = k.day
           AND NOT EXISTS (SELECT 1 FROM sums s WHERE s.unit_id = u.unit_id
                           AND s.day = u.day AND s.drill = u.drill))
INSERT INTO {UnitDay._meta.db_table} ({_UNIT_DAY_COLUMNS}) SELECT * FROM sums
ON CONFLICT (unit_id, day, drill) DO UPDATE SET {_UNIT_DAY_UPDATE}
"""
_UNIT_DAY_REBUILD = f"""
INSERT INTO {UnitDay._meta.db_table} ({_UNIT_DAY_COLUMNS})
SELECT f.unit_id, f.day, f.drill, {_UNIT_DAY_COUNTS}
FROM {AssignmentFact._meta.db_table} f GROUP BY f.unit_id, f.day, f.drill
"""
# As for a case: two writers of one unit's day take turns, so that the second recomputes
# from what the first committed (one lock per pair, taken in one order: no deadlock
# between two such writers).
_LOCK_UNIT_DAYS = """
SELECT pg_advisory_xact_lock(h) FROM (
    SELECT DISTINCT hashtextextended('casework.stats.unitday:' || k.unit_id || ':' || k.day, 0)
        AS h
    FROM unnest(%s::bigint[], %s::date[]) AS k(unit_id, day) ORDER BY 1) locks"""


def refresh_assignments(assignment_ids: Iterable[int]) -> None:
    ids = sorted({int(i) for i in assignment_ids if i is not None})
    if not ids:
        return
    with connection.cursor() as cur:
        # an assignment keeps its unit and its sending time (dispatch.services: a
        # reassignment is a new assignment), so the days the facts land on are the only
        # ones whose sums change
        cur.execute(_ASSIGNMENT_SQL.format(where="a.id = ANY(%s)")
                    + " RETURNING f.unit_id, f.day", [ids])
        refresh_unit_days(cur.fetchall())


def day_of(moment) -> date:
    """The calendar day of a moment in the statistics' time zone."""
    return moment.astimezone(ZoneInfo(TZ)).date()


def refresh_unit_days(pairs: Iterable[tuple[int, date]]) -> None:
    """Recompute UnitDay for these (unit id, day) pairs from the facts."""
    pairs = sorted(set(pairs))
    if pairs:
        units, days = [p[0] for p in pairs], [p[1] for p in pairs]
        with connection.cursor() as cur:
            cur.execute(_LOCK_UNIT_DAYS, [units, days])
            cur.execute(_UNIT_DAY_SQL, [units, days])


def rebuild_unit_days() -> int:
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {UnitDay._meta.db_table}")
        cur.execute(_UNIT_DAY_REBUILD)
        return cur.rowcount


def rebuild_facts() -> dict[str, int]:
    """Recompute every fact row (cases and assignments) from the operational rows."""
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {AssignmentFact._meta.db_table}")
        cur.execute(f"DELETE FROM {CaseFact._meta.db_table}")
        cur.execute(_CASE_SQL.format(where="true"))
        cases = cur.rowcount
        cur.execute(_ASSIGNMENT_SQL.format(where="true"))
        return {"cases": cases, "assignments": cur.rowcount}


def rebuild() -> dict[str, int]:
    """Recompute every fact row and the sums over them (after a bulk load, or to repair).
    Idempotent."""
    done = {**rebuild_facts(), "unit_days": rebuild_unit_days()}
    with connection.cursor() as cur:
        for model in (CaseFact, AssignmentFact, UnitDay):
            cur.execute(f"ANALYZE {model._meta.db_table}")
    return done
