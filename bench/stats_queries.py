"""Statistics at scale (issue 7): the API against the same figures computed from raw rows,
in the same run.

On a `manage.py seed_scale` database (100,000 cases, 1,000,000 assignments), as
leadership of the root bureau (sees everything):
  - summary over all time: GET /api/stats/summary/ against one pass over the raw cases,
    arrests, recoveries, suspects and assignments ⋈ instructions;
  - the per-unit table over all units and all time: GET /api/stats/units/ against the same
    GROUP BY over raw assignments ⋈ instructions;
  - one unit's last 30 days: GET /api/stats/units/?unit=<id>&from=… against the raw query
    restricted to that unit and period (units picked at random, each call a new one).
The API runs in process through Django's full request stack (APIClient). Before timing,
the API's counts are checked against the raw ones (they must be equal).

    python manage.py seed_scale --cases 100000 --links 1000000 --assignments 1000000  # once
    python bench/stats_queries.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import json
import os
import random
from datetime import timedelta

from common import git_rev, machine, summary, timed

SCALE_DB = "casework_scale"

RAW_UNITS = """
SELECT a.unit_id,
       count(*) FILTER (WHERE a.status <> 'cancelled' OR a.acknowledged_at IS NOT NULL) AS received,
       count(*) FILTER (WHERE a.status = 'completed' AND a.result = 'captured') AS captured,
       count(*) FILTER (WHERE (a.status <> 'cancelled' OR a.acknowledged_at IS NOT NULL)
                        AND a.acknowledged_at <= a.ack_deadline_at) AS in_time,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.completed_at - a.sent_at))
           FILTER (WHERE a.status = 'completed' AND a.result = 'captured') AS median_capture_s,
       percentile_disc(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM a.completed_at - a.sent_at))
           FILTER (WHERE a.status = 'completed' AND a.result = 'captured') AS p90_capture_s,
       percentile_disc(0.5) WITHIN GROUP (
           ORDER BY extract(epoch FROM a.acknowledged_at - a.sent_at))
           FILTER (WHERE a.status <> 'cancelled' OR a.acknowledged_at IS NOT NULL) AS median_ack_s
  FROM dispatch_assignment a JOIN dispatch_instruction i ON i.id = a.instruction_id
 WHERE NOT i.drill {extra}
 GROUP BY a.unit_id
"""

RAW_SUMMARY = """
WITH arr AS (
    SELECT case_id, count(*) AS n, min(arrested_at) AS first_at FROM dispatch_arrest
     WHERE NOT drill GROUP BY case_id),
rec AS (SELECT case_id, sum(value) AS total FROM dispatch_recovery WHERE NOT drill
         GROUP BY case_id),
ident AS (
    SELECT case_id, count(*) AS n FROM (
        SELECT case_id, entity_id FROM entities_caseentity WHERE role = 'suspect'
        UNION SELECT case_id, person_id FROM dispatch_arrest
               WHERE NOT drill AND person_id IS NOT NULL) p GROUP BY case_id),
by_name AS (SELECT case_id, count(*) AS n FROM dispatch_arrest
             WHERE NOT drill AND person_id IS NULL GROUP BY case_id)
SELECT count(*) AS cases_opened,
       count(*) FILTER (WHERE arr.n > 0) AS cases_with_arrests,
       coalesce(sum(ident.n), 0) + coalesce(sum(by_name.n), 0) AS suspects_identified,
       coalesce(sum(arr.n), 0) AS suspects_arrested,
       coalesce(sum(rec.total), 0) AS recovered_value,
       percentile_disc(0.5) WITHIN GROUP (
           ORDER BY greatest(0, extract(epoch FROM arr.first_at - c.reported_at)))
           FILTER (WHERE arr.first_at IS NOT NULL) AS median_time_to_arrest_s,
       (SELECT count(*) FROM dispatch_assignment a JOIN dispatch_instruction i
            ON i.id = a.instruction_id
         WHERE NOT i.drill AND a.status = 'completed' AND a.result = 'captured') AS captured
  FROM rooms_case c
  LEFT JOIN arr ON arr.case_id = c.id LEFT JOIN rec ON rec.case_id = c.id
  LEFT JOIN ident ON ident.case_id = c.id LEFT JOIN by_name ON by_name.case_id = c.id
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database", default=SCALE_DB)
    args = parser.parse_args()
    from common import use_bench_database

    use_bench_database(args.database)
    from django.db import connection
    from django.utils import timezone
    from rest_framework.test import APIClient

    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.dispatch.models import Assignment
    from casework.rooms.models import Case
    from casework.stats.models import AssignmentFact

    assignments = Assignment.objects.count()
    cases = Case.objects.count()
    if assignments < 1000:
        raise SystemExit("nothing seeded here: run `python manage.py seed_scale` first "
                         f"(DATABASE_URL's database {args.database})")
    if AssignmentFact.objects.count() != assignments:
        raise SystemExit("the statistics are not built: run `manage.py rebuild_stats`")
    root = Unit.objects.get_root_nodes().filter(kind=UnitKind.CITY_BUREAU).order_by("pk").first()
    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={
        "unit": root, "org_role": OrgRole.LEADERSHIP, "display_name": "bench leader"})
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_authenticate(leader)
    patrol_units = list(Unit.objects.filter(kind=UnitKind.PATROL, path__startswith=root.path)
                        .values_list("pk", flat=True))
    today = timezone.localdate()
    since = today - timedelta(days=29)
    year = today - timedelta(days=364)

    def raw(sql: str, params=()):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            names = [c.name for c in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    # correctness first: the API's figures equal the raw ones
    api_units = {r["unit"]["id"]: r for r in client.get("/api/stats/units/").json()["results"]}
    raw_units = {r["unit_id"]: r for r in raw(RAW_UNITS.format(extra=""))}
    for unit_id, r in raw_units.items():
        got = api_units[unit_id]
        assert (got["received"], got["captured"], got["acknowledged_in_time"]) == (
            r["received"], r["captured"], r["in_time"]), (unit_id, got, r)
        # whole seconds, rounded (the facts store rounded seconds; rounding keeps order)
        assert got["median_capture_s"] == (None if r["median_capture_s"] is None
                                           else round(r["median_capture_s"]))
    api_summary = client.get("/api/stats/summary/").json()
    raw_summary = raw(RAW_SUMMARY)[0]
    for key in ("cases_opened", "cases_with_arrests", "suspects_identified",
                "suspects_arrested", "captured"):
        assert api_summary[key] == raw_summary[key], (key, api_summary[key], raw_summary[key])
    assert api_summary["median_time_to_arrest_s"] == round(
        raw_summary["median_time_to_arrest_s"])

    rng = random.Random(7)
    one_unit = itertools_cycle(rng, patrol_units)
    results = [
        summary("summary API (all time)", timed(
            lambda: client.get("/api/stats/summary/"), args.repeat, warmup=3)),
        summary("summary raw SQL", timed(lambda: raw(RAW_SUMMARY), args.repeat, warmup=3)),
        summary("per-unit table API (all units, all time)", timed(
            lambda: client.get("/api/stats/units/"), args.repeat, warmup=3)),
        summary("per-unit table raw SQL", timed(
            lambda: raw(RAW_UNITS.format(extra="")), args.repeat, warmup=3)),
        summary("per-unit table API (all units, last 30 days)", timed(
            lambda: client.get("/api/stats/units/", {"from": since.isoformat()}),
            args.repeat, warmup=3)),
        summary("per-unit table raw SQL (last 30 days)", timed(
            lambda: raw(RAW_UNITS.format(extra="AND a.sent_at >= %s"),
                        [timezone.now() - timedelta(days=30)]), args.repeat, warmup=3)),
        summary("per-unit table API (all units, last 365 days)", timed(
            lambda: client.get("/api/stats/units/", {"from": year.isoformat()}),
            args.repeat, warmup=3)),
        summary("per-unit table raw SQL (last 365 days)", timed(
            lambda: raw(RAW_UNITS.format(extra="AND a.sent_at >= %s"),
                        [timezone.now() - timedelta(days=365)]), args.repeat, warmup=3)),
        summary("one unit, last 30 days API", timed(
            lambda: client.get("/api/stats/units/", {"unit": next(one_unit),
                                                     "from": since.isoformat()}),
            args.repeat * 4, warmup=10)),
        summary("one unit, last 30 days raw SQL", timed(
            lambda: raw(RAW_UNITS.format(extra="AND a.unit_id = %s AND a.sent_at >= %s"),
                        [next(one_unit), timezone.now() - timedelta(days=30)]),
            args.repeat * 4, warmup=10)),
    ]
    by = {r["name"]: r for r in results}
    ratios = {
        "summary API / raw (p50)": by["summary API (all time)"]["p50_ms"]
        / by["summary raw SQL"]["p50_ms"],
        "per-unit API / raw (p50)": by["per-unit table API (all units, all time)"]["p50_ms"]
        / by["per-unit table raw SQL"]["p50_ms"],
        "per-unit 30 days API / raw (p50)":
        by["per-unit table API (all units, last 30 days)"]["p50_ms"]
        / by["per-unit table raw SQL (last 30 days)"]["p50_ms"],
        "per-unit 365 days API / raw (p50)":
        by["per-unit table API (all units, last 365 days)"]["p50_ms"]
        / by["per-unit table raw SQL (last 365 days)"]["p50_ms"],
        "one unit API / raw (p50)": by["one unit, last 30 days API"]["p50_ms"]
        / by["one unit, last 30 days raw SQL"]["p50_ms"],
    }
    print(f"machine: {machine()}")
    print(f"commit: {git_rev()}  load: {os.getloadavg()[0]:.2f}")
    print(f"sizes: {cases:,} cases, {assignments:,} assignments, {len(patrol_units):,} patrol "
          f"units; {args.repeat} runs (×4 for one unit)")
    for r in results:
        print(f"  {r['name']:<48} p50 {r['p50_ms']:>9.2f} ms  p95 {r['p95_ms']:>9.2f} ms")
    for name, value in ratios.items():
        print(f"  {name:<48} {value:.2f}×")
    print(json.dumps({"results": results, "ratios": ratios}))


def itertools_cycle(rng, items):
    while True:
        yield rng.choice(items)


if __name__ == "__main__":
    main()
