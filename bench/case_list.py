"""Object-permission filtering on the case list (issues 2 and 3).

A user who can see `--visible` of `--cases` cases (guardian direct-FK rows derived from
memberships, plus one filler member per case so the permission table is realistic):
  1. the choke point's queryset (visible_cases) — first page of 50 + count — against the
     same query on every case, no permission filter;
  2. the real endpoint GET /api/cases/ (Django's full request stack, in process) as that
     user, against the same endpoint with the permission filter switched off;
with the number of SQL queries of each. Sizes below 1,000,000 / 10,000 do not count.

    python bench/case_list.py --cases 1000000 --visible 10000 [--repeat 300]
"""

from __future__ import annotations

import argparse
import json
import time

from common import git_rev, machine, summary, timed, use_bench_database

FILLER_USERS = 5000


def seed(cases: int, visible: int) -> None:
    from django.db import connection

    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.rooms.choices import CasePerm
    from casework.rooms.models import Case
    from casework.rooms.permissions import case_permission_ids

    if Case.objects.count() == cases and User.objects.filter(username="bench").exists():
        return
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("TRUNCATE rooms_case, rooms_caseuserobjectpermission, rooms_membership, "
                    "rooms_roomevent, rooms_message, core_auditentry CASCADE")
    if not Unit.objects.exists():
        city = Unit.objects.add_root({"name": "基准市局", "kind": UnitKind.CITY_BUREAU})
        Unit.objects.add_child(city, {"name": "基准县局", "kind": UnitKind.COUNTY_BUREAU})
    unit = Unit.objects.get(name="基准县局")
    if not User.objects.filter(username="bench").exists():
        User.objects.create(username="bench", unit=unit, org_role=OrgRole.INVESTIGATOR)
        User.objects.bulk_create(User(username=f"filler{i}", unit=unit) for i in
                                 range(FILLER_USERS))
    bench = User.objects.get(username="bench")
    first_filler = User.objects.filter(username__startswith="filler").order_by("id").first().pk
    perms = case_permission_ids()
    every = cases // visible
    with connection.cursor() as cur:
        cur.execute("""
            INSERT INTO rooms_case (number, title, category, owning_unit_id, reported_at,
                opened_at, status, location, reported_loss, recovered_value, event_seq)
            SELECT 'B-' || g, '基准案件 ' || g, 'theft', %s,
                   now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval,
                   CASE WHEN g %% 3 = 0 THEN 'closed' ELSE 'open' END, '', 1000, 0, 0
            FROM generate_series(1, %s) AS g""", [unit.pk, cases])
        # one filler member (view only) on every case
        cur.execute("""
            INSERT INTO rooms_caseuserobjectpermission (permission_id, user_id, content_object_id)
            SELECT %s, %s + (id %% %s), id FROM rooms_case""",
                    [perms[CasePerm.VIEW], first_filler, FILLER_USERS])
        # the bench user is a member (four permissions) of every `every`-th case
        member = [perms[p] for p in ("view_case", "post_case", "analyse_case",
                                     "record_arrests")]
        cur.execute("""
            INSERT INTO rooms_caseuserobjectpermission (permission_id, user_id, content_object_id)
            SELECT p, %s, c.id FROM rooms_case c, unnest(%s::int[]) AS p
            WHERE c.id %% %s = 0""", [bench.pk, member, every])
    # the steady state autovacuum keeps a production table in (visibility map set, so
    # index-only scans need no heap visits); VACUUM cannot run inside a transaction
    connection.ensure_connection()
    connection.connection.autocommit = True
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE rooms_case")
        cur.execute("VACUUM ANALYZE rooms_caseuserobjectpermission")
    print(f"seeded {cases:,} cases in {time.perf_counter() - t:.1f} s")


def run(cases: int, visible: int, repeat: int) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from casework.accounts.models import User
    from casework.rooms import selectors
    from casework.rooms.access import visible_cases
    from casework.rooms.models import Case

    seed(cases, visible)
    bench = User.objects.get(username="bench")
    seen = visible_cases(bench).count()

    def first_page(qs):
        return lambda: (list(qs.order_by("-id")[:50]), qs.count())

    results = [
        summary("queryset: permission-filtered (choke point)", timed(
            first_page(visible_cases(bench)), repeat)),
        summary("queryset: no filter", timed(first_page(Case.objects.all()), repeat)),
    ]

    client = Client()
    client.force_login(bench)
    with override_settings(ALLOWED_HOSTS=["*"]):
        def endpoint():
            response = client.get("/api/cases/")
            assert response.status_code == 200

        with CaptureQueriesContext(connection) as q:
            endpoint()
        filtered_queries = len(q.captured_queries)
        # the same count for a user who sees 200 cases: constant, not per row
        few = Client()
        few.force_login(User.objects.get(username="filler0"))
        with CaptureQueriesContext(connection) as q:
            assert few.get("/api/cases/").status_code == 200
        few_queries = len(q.captured_queries)
        results.append(summary("GET /api/cases/ permission-filtered", timed(endpoint, repeat)))

        original = selectors.visible_cases
        selectors.visible_cases = lambda user, perm="view_case": Case.objects.all()
        try:
            with CaptureQueriesContext(connection) as q:
                endpoint()
            unfiltered_queries = len(q.captured_queries)
            results.append(summary("GET /api/cases/ no filter", timed(endpoint, repeat)))
        finally:
            selectors.visible_cases = original

    qs_ratio = results[0]["p95_ms"] / results[1]["p95_ms"]
    api_ratio = results[2]["p95_ms"] / results[3]["p95_ms"]
    return {"bench": "case_list", "machine": machine(), "rev": git_rev(), "cases": cases,
            "visible": seen, "repeat": repeat, "results": results,
            "sql_queries": {"filtered": filtered_queries, "unfiltered": unfiltered_queries,
                            "filtered_user_seeing_200": few_queries},
            "p95_ratio_queryset": round(qs_ratio, 2), "p95_ratio_endpoint": round(api_ratio, 2),
            "counts": cases >= 1_000_000 and seen >= 10_000}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--visible", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    use_bench_database()
    out = run(args.cases, args.visible, args.repeat)
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if not out["counts"]:
        print("NOTE: smaller than 1,000,000 cases / 10,000 visible: these figures do not count")


if __name__ == "__main__":
    main()
