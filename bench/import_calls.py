"""Import of call records end to end (issue 4): parse, validate and normalise every row,
write entities, call records, links and graph-outbox rows in one transaction. Reports
rows/s and the share of the time spent inside PostgreSQL (summed over every query, via a
database execute wrapper). Baseline in the same run: the same rows written with one
INSERT … SELECT FROM unnest (no parsing, no normalisation, no links) — the floor.

    python bench/import_calls.py --rows 1000000 [--phones 20000]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, datetime, timedelta

from common import git_rev, machine, use_bench_database


def make_csv(rows: int, phones: int, seed: int = 7, contacts: int = 15) -> bytes:
    """Synthetic call records: each phone calls its own `contacts` numbers (as people do),
    so 1,000,000 calls among 20,000 phones fall on about 300,000 caller→callee pairs."""
    rnd = random.Random(seed)
    prefixes = ["135", "136", "138", "139", "150", "158", "159", "186", "187", "188"]
    numbers = [f"{rnd.choice(prefixes)}{rnd.randrange(10**8):08d}" for _ in range(phones)]
    start = datetime(2021, 12, 1, tzinfo=UTC)
    lines = ["caller,callee,start_time,duration_s,cell"]
    book = [rnd.sample(range(phones), contacts) for _ in range(phones)]
    for n in range(rows):
        a = rnd.randrange(phones)
        b = rnd.choice(book[a])
        if b == a:
            b = (a + 1) % phones
        at = start + timedelta(seconds=n * 3 + rnd.randrange(3))
        lines.append(f"{numbers[a]},{numbers[b]},{at.isoformat()},{rnd.randrange(600)},"
                     f"C{rnd.randrange(500)}")
    return ("\n".join(lines) + "\n").encode()


class QueryTimer:
    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - t
            self.queries += 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--phones", type=int, default=20_000)
    args = parser.parse_args()
    use_bench_database("casework_bench_import")
    from django.db import connection

    from casework.accounts.choices import OrgRole, UnitKind
    from casework.accounts.models import Unit, User
    from casework.entities import imports
    from casework.rooms import services

    data = make_csv(args.rows, args.phones)
    unit = Unit.objects.filter(name="导入县局").first() or Unit.objects.add_root(
        {"name": "导入县局", "kind": UnitKind.COUNTY_BUREAU})
    user, _ = User.objects.get_or_create(username="importer",
                                         defaults={"unit": unit,
                                                   "org_role": OrgRole.INVESTIGATOR})
    case = services.create_case(actor=user, number=f"IMPORT-{time.time_ns()}", title="导入",
                                category="fraud", reported_at=datetime.now(UTC),
                                owning_unit=unit)

    timer = QueryTimer()
    t = time.perf_counter()
    with connection.execute_wrapper(timer):
        job = imports.import_now(actor=user, case_id=case.pk, kind="calls", data=data,
                                 name="bench.csv")
    total = time.perf_counter() - t

    # floor: the same number of rows into a plain table with one statement
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE floor_calls (a text, b text, t timestamptz, "
                       "d int, c text)")
        lines = data.decode().splitlines()[1:]
        cols = list(zip(*(line.split(",") for line in lines), strict=True))
        t0 = time.perf_counter()
        cursor.execute("INSERT INTO floor_calls SELECT * FROM unnest(%s::text[], %s::text[], "
                       "%s::timestamptz[], %s::int[], %s::text[])",
                       [list(cols[0]), list(cols[1]), list(cols[2]),
                        [int(x) for x in cols[3]], list(cols[4])])
        floor = time.perf_counter() - t0
    out = {"bench": "import_calls", "machine": machine(), "rev": git_rev(),
           "rows": args.rows, "distinct_phones": args.phones, "csv_mb": round(len(data) / 2**20, 1),
           "seconds": round(total, 2), "rows_per_s": round(args.rows / total),
           "postgres_seconds": round(timer.seconds, 2),
           "postgres_share": round(timer.seconds / total, 3), "queries": timer.queries,
           "counts": job.counts,
           "floor_insert_seconds": round(floor, 2),
           "floor_rows_per_s": round(args.rows / floor),
           "ratio_to_floor": round(total / floor, 1),
           "counts_as_result": args.rows >= 1_000_000}
    print(json.dumps(out, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
