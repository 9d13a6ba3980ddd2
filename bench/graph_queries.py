"""Link analysis at scale (issue 5): the API against the raw engine, in the same run.

On a `manage.py seed_scale` database (≥ 1,000,000 links across 100,000 cases, drained into
the graph), as `bench_investigator` (a member of 100 seeded cases):
  - 2-hop expand around entities of those cases: GET /api/graph/expand/?depth=2
    against the same two one-hop statements straight on the engine;
  - shortest paths between pairs of those entities: GET /api/graph/paths/ against the
    same allShortestPaths statement on the engine;
  - series for one case: GET /api/cases/<id>/series/ against its two statements.
The API runs in process through Django's full request stack (APIClient), so its time is
the engine's plus what Casework adds (need-to-know checks in PostgreSQL, naming, JSON).

    python manage.py seed_scale --cases 100000 --links 1000000     # once
    python bench/graph_queries.py [--repeat 200]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random

from common import git_rev, machine, summary, timed

SCALE_DB = "casework_scale"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--database", default=SCALE_DB)
    args = parser.parse_args()
    from common import use_bench_database

    use_bench_database(args.database)
    from django.conf import settings
    from rest_framework.test import APIClient

    from casework.accounts.models import User
    from casework.demo import scale
    from casework.entities.models import CaseEntity, Link
    from linkanalysis.graph import queries, repository
    from linkanalysis.graph.driver import get_engine

    cases = scale.existing()
    links = Link.objects.count()
    if cases < 1000:
        raise SystemExit("nothing seeded here: run `python manage.py seed_scale` first "
                         f"(DATABASE_URL's database {args.database})")
    counts = repository.counts()
    user = User.objects.get(username=scale.BENCH_USER)
    member_cases = list(user.memberships.values_list("case_id", flat=True))
    entities = list(CaseEntity.objects.filter(case_id__in=member_cases)
                    .exclude(entity__kind="location")
                    .values_list("entity_id", "entity__kind", "entity__key"))
    rng = random.Random(7)
    rng.shuffle(entities)
    client = APIClient(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    budget = settings.GRAPH_QUERY_BUDGET_MS
    engine = get_engine()
    kinds = list(queries.LINK_KINDS)

    # --- 2-hop expand ---------------------------------------------------------------
    starts = itertools.cycle(entities[:100])

    def api_expand():
        entity_id, _, _ = next(starts)
        r = client.get(f"/api/graph/expand/?entity={entity_id}&depth=2&limit=1000")
        assert r.status_code == 200, r.content[:200]

    raw_starts = itertools.cycle(entities[:100])

    def raw_expand():
        _, kind, key = next(raw_starts)
        first = repository.expand_step([(kind, key)], types=kinds, since_ms=None,
                                       until_ms=None, limit=1001, timeout_ms=budget)
        frontier = list({(r["to_kind"], r["to_key"]) for r in first})
        repository.expand_step(frontier, types=kinds, since_ms=None, until_ms=None,
                               limit=1001 - len(first), timeout_ms=budget)

    # --- shortest paths ---------------------------------------------------------------
    # Pairs two or three links apart (found by expanding from the start), as an
    # investigator asks for paths between things already thought related. Entities with
    # no path within 6 links make the engine search the whole graph: those answers come
    # back `truncated` at the time budget (measured apart below).
    from casework.entities.models import Entity

    def partner(kind, key):
        first = repository.expand_step([(kind, key)], types=kinds, since_ms=None,
                                       until_ms=None, limit=50, timeout_ms=budget)
        near = {(r["to_kind"], r["to_key"]) for r in first} | {(kind, key)}
        second = repository.expand_step(list(near - {(kind, key)})[:10], types=kinds,
                                        since_ms=None, until_ms=None, limit=200,
                                        timeout_ms=budget)
        # the user may ask only about entities of rooms they may open
        far = sorted(({(r["to_kind"], r["to_key"]) for r in second} - near) & visible)
        if not far:
            return None
        k, v = far[len(far) // 2]
        found = Entity.objects.filter(kind=k, key=v).values_list("id", flat=True).first()
        return (found, k, v) if found else None

    visible = {(k, v) for _, k, v in entities}
    pairs = []
    for entity in entities:
        other = partner(entity[1], entity[2])
        if other:
            pairs.append((entity, other))
        if len(pairs) == 100:
            break
    api_pairs, raw_pairs = itertools.cycle(pairs), itertools.cycle(pairs)

    def api_paths():
        a, b = next(api_pairs)
        r = client.get(f"/api/graph/paths/?source={a[0]}&target={b[0]}&max_depth=6")
        assert r.status_code == 200, r.content[:200]

    def raw_paths():
        a, b = next(raw_pairs)
        repository.shortest_paths((a[1], a[2]), (b[1], b[2]), max_depth=6, limit=11,
                                  timeout_ms=budget)

    unrelated = [(entities[i], entities[-1 - i]) for i in range(10)]
    cut_short = 0
    for a, b in unrelated:
        r = client.get(f"/api/graph/paths/?source={a[0]}&target={b[0]}&max_depth=6").json()
        cut_short += bool(r["truncated"])

    # --- series -------------------------------------------------------------------------
    api_cases, raw_cases = itertools.cycle(member_cases), itertools.cycle(member_cases)
    cap = settings.SERIES_HUB_CAP

    def api_series():
        r = client.get(f"/api/cases/{next(api_cases)}/series/")
        assert r.status_code == 200, r.content[:200]

    def raw_series():
        case_id = next(raw_cases)
        direct = repository.series_direct(case_id, hub_cap=cap, timeout_ms=budget)
        hubs = [r["key"] for r in direct if int(r["n_cases"]) > cap]
        repository.series_two_hops(case_id, hubs=hubs, hub_cap=cap, limit=5000,
                                   timeout_ms=budget)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def sql_queries(api) -> str:
        """SQL queries per API call (session and user included), over 20 calls."""
        seen = []
        for _ in range(20):
            with CaptureQueriesContext(connection) as ctx:
                api()
            seen.append(len(ctx.captured_queries))
        return f"{min(seen)}–{max(seen)}" if min(seen) != max(seen) else str(seen[0])

    load_before = os.getloadavg()
    rows = []
    for name, api, raw in [("expand depth 2", api_expand, raw_expand),
                           ("shortest paths ≤ 6", api_paths, raw_paths),
                           ("series for one case", api_series, raw_series)]:
        raw_s = summary(f"{name}: raw engine", timed(raw, args.repeat))
        api_s = summary(f"{name}: API", timed(api, args.repeat))
        rows.append((name, raw_s, api_s, sql_queries(api)))
    load_after = os.getloadavg()

    sample = client.get(f"/api/graph/expand/?entity={entities[0][0]}&depth=2&limit=1000").json()
    print(json.dumps({
        "machine": machine(), "rev": git_rev(), "engine": engine.name,
        "cases": cases, "links_pg": links, "graph": counts.__dict__,
        "bench_user_cases": len(member_cases), "repeat": args.repeat,
        "path_pairs": len(pairs),
        "load_average_1_5_15": {"before": [round(x, 2) for x in load_before],
                                "after": [round(x, 2) for x in load_after]},
        "unrelated_pairs_truncated_at_budget": f"{cut_short} of {len(unrelated)}",
        "sample_expand": {"nodes": len(sample["nodes"]), "edges": len(sample["edges"]),
                          "truncated": sample["truncated"]},
    }, ensure_ascii=False, indent=1))
    print("\n| query | raw p50 | raw p95 | API p50 | API p95 | API − raw at p50 | SQL/call |")
    print("|---|---|---|---|---|---|---|")
    for name, raw_s, api_s, queries_per_call in rows:
        print(f"| {name} | {raw_s['p50_ms']} ms | {raw_s['p95_ms']} ms | {api_s['p50_ms']} ms"
              f" | {api_s['p95_ms']} ms | {api_s['p50_ms'] - raw_s['p50_ms']:.2f} ms"
              f" | {queries_per_call} |")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    os.environ.setdefault("GRAPH_NAME", "casework-bench")   # where seed_scale projects
    main()
