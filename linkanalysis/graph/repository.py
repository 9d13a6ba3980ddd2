"""Typed operations on the graph, over whichever engine GRAPH_URL names."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from linkanalysis.graph import queries
from linkanalysis.graph.driver import get_engine


@dataclass(frozen=True)
class GraphCounts:
    entities: int
    links: int
    involvements: int


def ensure_schema() -> None:
    engine = get_engine()
    statements = queries.FALKORDB_SCHEMA if engine.name == "falkordb" else queries.NEO4J_SCHEMA
    for statement in statements:
        try:
            engine.write(statement)
        except Exception as exc:  # FalkorDB: "already indexed"
            if "already" not in str(exc).lower():
                raise


_schema_ready: set[tuple[str, str]] = set()


def ensure_schema_once() -> None:
    """The indexes, once per process and graph. Without the relationship-id indexes every
    upsert scans all relationships, and FalkorDB runs writes on Redis' main thread: a
    large drain then stalls everything else that Redis serves."""
    from django.conf import settings

    target = (settings.GRAPH_URL, settings.GRAPH_NAME)
    if target not in _schema_ready:
        ensure_schema()
        _schema_ready.add(target)


def upsert_links(states: list[dict]) -> int:
    """Write links' full states (MERGE nodes, replace the relationship by link id)."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for state in states:
        if state["kind"] not in queries.UPSERT_LINKS:
            raise ValueError(f"unknown link kind {state['kind']!r}")
        by_kind[state["kind"]].append(state)
    engine = get_engine()
    written = 0
    for kind, rows in by_kind.items():
        result = engine.write(queries.UPSERT_LINKS[kind], {"rows": rows})
        written += int(result[0]["written"]) if result else 0
    return written


def upsert_involvements(states: list[dict]) -> int:
    if not states:
        return 0
    result = get_engine().write(queries.UPSERT_INVOLVEMENTS, {"rows": states})
    return int(result[0]["written"]) if result else 0


def counts() -> GraphCounts:
    engine = get_engine()

    def one(query: str) -> int:
        rows = engine.read(query)
        return int(rows[0]["n"]) if rows else 0

    return GraphCounts(one(queries.COUNT_ENTITIES), one(queries.COUNT_LINKS),
                       one(queries.COUNT_INVOLVEMENTS))


def delete_everything() -> None:
    get_engine().write(queries.DELETE_EVERYTHING)


def dump_links() -> set[tuple]:
    """Every link relationship as (kind, id, source key, target key, count, version)."""
    return {(r["kind"], int(r["id"]), r["source"], r["target"], int(r["count"]),
             int(r["version"])) for r in get_engine().read(queries.DUMP_LINKS)}


# ---- analysis reads -------------------------------------------------------------------
# Nodes are named by (kind, key), the entity's normalised identity in PostgreSQL too.

# ±2^53 ms (285,000 years): FalkorDB compares ±2^62 wrongly when both are parameters
NO_TIME_LOW, NO_TIME_HIGH = -(2**53), 2**53


def expand_step(frontier: list[tuple[str, str]], *, types: list[str], since_ms: int | None,
                until_ms: int | None, limit: int, timeout_ms: int) -> list[dict]:
    """Links of the frontier nodes (one hop), at most `limit` rows."""
    kinds = [t for t in types if t in queries.LINK_KINDS]
    params = {"frontier": [{"kind": k, "key": key} for k, key in frontier],
              "types": kinds, "limit": int(limit),
              "since": NO_TIME_LOW if since_ms is None else int(since_ms),
              "until": NO_TIME_HIGH if until_ms is None else int(until_ms)}
    return get_engine().read(queries.EXPAND_STEP, params, timeout_ms=timeout_ms)


def shortest_paths(source: tuple[str, str], target: tuple[str, str], *, max_depth: int,
                   limit: int, timeout_ms: int) -> list[dict]:
    """All shortest paths (up to `limit`) of at most `max_depth` links."""
    depth = max(1, min(int(max_depth), queries.MAX_PATH_DEPTH))
    params = {"source_kind": source[0], "source_key": source[1],
              "target_kind": target[0], "target_key": target[1], "limit": int(limit)}
    return get_engine().read(queries.SHORTEST_PATHS[depth], params, timeout_ms=timeout_ms)


def series_direct(case_id: int, *, hub_cap: int, timeout_ms: int) -> list[dict]:
    return get_engine().read(queries.SERIES_DIRECT, {"case_id": case_id, "hub_cap": hub_cap},
                             timeout_ms=timeout_ms)


def series_two_hops(case_id: int, *, hubs: list[str], hub_cap: int, limit: int,
                    timeout_ms: int) -> list[dict]:
    params = {"case_id": case_id, "hubs": hubs, "hub_cap": hub_cap, "limit": int(limit),
              "link_kinds": list(queries.LINK_KINDS)}
    return get_engine().read(queries.SERIES_TWO_HOPS, params, timeout_ms=timeout_ms)


def contacts(sources: list[tuple[str, str]], *, limit: int, timeout_ms: int) -> list[dict]:
    params = {"sources": [{"kind": k, "key": key} for k, key in sources], "limit": int(limit)}
    return get_engine().read(queries.CONTACTS, params, timeout_ms=timeout_ms)
