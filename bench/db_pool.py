"""The ASGI server's database connections (settings.DB_POOL_MAX_SIZE): API requests over
HTTP to uvicorn with its connection pool, as casework/asgi.py turns it on, against the same
server opening a PostgreSQL connection for every request (DB_POOL_MAX_SIZE=0), the two
interleaved in the same run. As a member of one room, with a token: the case list and one
case.

    python bench/db_pool.py [--repeat 300] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import time

from common import git_rev, investigator_with_case, machine, summary, use_bench_database

PATHS = ("/api/cases/", "/api/cases/{case}/")


def _measure(server, case, token: str, repeat: int) -> dict[str, list[float]]:
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)   # a line per request otherwise

    headers = {"Authorization": f"Token {token}"}
    out = {}
    with httpx.Client(base_url=server.http, headers=headers) as client:
        for path in PATHS:
            url = path.format(case=case.pk)
            for _ in range(20):
                assert client.get(url).status_code == 200
            samples = []
            for _ in range(repeat):
                t = time.perf_counter()
                client.get(url)
                samples.append(time.perf_counter() - t)
            out[path] = samples
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    use_bench_database("casework_bench")
    from tests.live import start_asgi

    case, token = investigator_with_case("连接池测试县局", "bench_pool", "POOL", "连接池")
    pooled: dict[str, list[float]] = {p: [] for p in PATHS}
    unpooled: dict[str, list[float]] = {p: [] for p in PATHS}
    for _ in range(args.rounds):
        for size, into in (("4", pooled), ("0", unpooled)):
            os.environ["DB_POOL_MAX_SIZE"] = size
            server = start_asgi()
            try:
                for path, samples in _measure(server, case, token, args.repeat).items():
                    into[path].extend(samples)
            finally:
                server.stop()
    rows = []
    for path in PATHS:
        a = summary(f"GET {path} pooled", pooled[path])
        b = summary(f"GET {path} a connection per request", unpooled[path])
        rows += [a, b]
        print(f"{path:24} pooled p50 {a['p50_ms']:7.2f} ms p95 {a['p95_ms']:7.2f}   "
              f"per request p50 {b['p50_ms']:7.2f} ms p95 {b['p95_ms']:7.2f}   "
              f"ratio {a['p50_ms'] / b['p50_ms']:.2f}×")
    print(json.dumps({"bench": "db_pool", "machine": machine(), "rev": git_rev(),
                      "load": os.getloadavg(), "repeat": args.repeat, "rounds": args.rounds,
                      "results": rows}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
