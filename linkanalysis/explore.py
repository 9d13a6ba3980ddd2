"""Expand around an entity and find paths between two, on the graph, within need-to-know.

Expansion runs level by level (one bounded query per hop) under one time budget: a hub
with a hundred thousand links fills the limit or the budget and the answer comes back
`truncated`, never hangs. Links in rooms the user may not open are not followed; the
nodes they touch say how many such cases there are, with an access-request token.
Paths are the engine's all shortest paths; a link of a closed room is shown only as a
masked step.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from linkanalysis import visibility
from linkanalysis.graph import queries, repository
from linkanalysis.graph.port import GraphTimeout

MAX_LIMIT = 1000
MAX_PATHS = 10


def _ms(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1000) if moment else None


def local_time(ms):
    if ms is None:
        return None
    return timezone.localtime(datetime.fromtimestamp(ms / 1000, tz=UTC)).isoformat()


def _budget_left(deadline: float) -> int:
    return int((deadline - time.monotonic()) * 1000)


def _link_out(row: dict, refs: dict, source: tuple, target: tuple) -> dict:
    return {"id": int(row["id"]), "kind": row["kind"], "source": refs[source]["id"],
            "target": refs[target]["id"], "count": int(row.get("count") or 0),
            "first_seen": local_time(row.get("first_seen")),
            "last_seen": local_time(row.get("last_seen")),
            "case_id": int(row["case_id"]), "evidence_id": row.get("evidence_id")}


def expand(user, entity_id, *, depth: int = 1, types: list[str] | None = None,
           since: datetime | None = None, until: datetime | None = None,
           limit: int = 200) -> dict:
    if not 1 <= depth <= 3:
        raise ValidationError({"depth": ["1, 2 or 3"]})
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": [f"1 to {MAX_LIMIT}"]})
    types = types or list(queries.LINK_KINDS)
    unknown = [t for t in types if t not in queries.LINK_KINDS]
    if unknown:
        raise ValidationError({"types": [f"unknown link type {unknown[0]!r}; one of "
                                         + ", ".join(queries.LINK_KINDS)]})
    if since and until and since > until:
        raise ValidationError({"since": ["must not be after `until`"]})
    start = visibility.entity_for_user(user, entity_id)
    origin = (start.kind, start.key)
    started = time.monotonic()
    deadline = started + settings.GRAPH_QUERY_BUDGET_MS / 1000
    depth_of = {origin: 0}
    rows_kept: dict[int, dict] = {}
    hidden: dict[tuple, Counter] = defaultdict(Counter)
    open_ids: dict[int, dict] = {}
    shut: set[int] = set()
    frontier, truncated = [origin], False
    refs = None
    for level in range(1, depth + 1):
        room = limit - len(rows_kept)
        left = _budget_left(deadline)
        if not frontier:
            break
        if room <= 0 or left <= 0:
            truncated = True
            break
        try:
            rows = repository.expand_step(frontier, types=types, since_ms=_ms(since),
                                          until_ms=_ms(until), limit=room + 1,
                                          timeout_ms=left)
        except GraphTimeout:
            truncated = True
            break
        if len(rows) > room:
            truncated, rows = True, rows[:room]
        unknown_cases = {int(r["case_id"]) for r in rows} - open_ids.keys() - shut
        if level < depth:
            found = visibility.open_cases(user, unknown_cases)
        else:   # the last level's cases and the names of the nodes shown: one query
            ahead = {(*node, None) for node in depth_of} | {
                (r["to_kind"], r["to_key"], int(r["case_id"])) for r in rows}
            found, refs, _evidence = visibility.named(user, unknown_cases, ahead,
                                                      known_open=open_ids)
        open_ids.update(found)
        shut |= unknown_cases - found.keys()
        nxt = []
        for r in rows:
            here, there = (r["from_kind"], r["from_key"]), (r["to_kind"], r["to_key"])
            case_id = int(r["case_id"])
            if case_id in shut:
                hidden[here][case_id] += 1
                continue
            rows_kept[int(r["id"])] = r
            if there not in depth_of:
                depth_of[there] = level
                nxt.append(there)
        frontier = nxt
    if refs is None:   # stopped before the last level
        _found, refs, _evidence = visibility.named(
            user, (), {(*node, None) for node in depth_of}, known_open=open_ids)
    # only the nodes reached through rooms the user may open
    refs = {node: refs[node] for node in depth_of if node in refs}
    edges = []
    for r in rows_kept.values():
        source = (r["source_kind"], r["source_key"])
        ends = [(r["from_kind"], r["from_key"]), (r["to_kind"], r["to_key"])]
        target = ends[1] if source == ends[0] else ends[0]
        if source in refs and target in refs:
            edges.append(_link_out(r, refs, source, target))
    masked = [{"entity": refs[node]["id"], "other_cases": len(cases),
               "access_request": visibility.access_token(
                   user, case_id=cases.most_common(1)[0][0], from_case_id=None,
                   refs=[refs[node]])}
              for node, cases in hidden.items() if node in refs]
    return {"nodes": [{**refs[n], "depth": d} for n, d in depth_of.items() if n in refs],
            "edges": sorted(edges, key=lambda e: e["id"]), "truncated": truncated,
            "masked": masked, "elapsed_ms": round((time.monotonic() - started) * 1000, 1)}


def paths(user, source_id, target_id, *, max_depth: int = 6) -> dict:
    if not 1 <= max_depth <= queries.MAX_PATH_DEPTH:
        raise ValidationError({"max_depth": [f"1 to {queries.MAX_PATH_DEPTH}"]})
    a, b = visibility.entities_for_user(user, [source_id, target_id])
    if a.pk == b.pk:
        raise ValidationError({"target": ["source and target are the same entity"]})
    truncated = False
    try:
        rows = repository.shortest_paths((a.kind, a.key), (b.kind, b.key),
                                         max_depth=max_depth, limit=MAX_PATHS + 1,
                                         timeout_ms=settings.GRAPH_QUERY_BUDGET_MS)
    except GraphTimeout:
        rows, truncated = [], True
    if len(rows) > MAX_PATHS:
        rows, truncated = rows[:MAX_PATHS], True
    case_ids = {int(link["case_id"]) for row in rows for link in row["links"]}
    # each end of each link, named if its room is open; the two asked about in any case
    ends = {(*row["nodes"][i + j], int(link["case_id"])) for row in rows
            for i, link in enumerate(row["links"]) for j in (0, 1)}
    ends |= {(a.kind, a.key, None), (b.kind, b.key, None)}
    # the open cases, the names and the evidence of the open rooms' links: one query
    open_ids, every_ref, evidence = visibility.named(
        user, case_ids, ends,
        evidence_ids={link.get("evidence_id") for row in rows for link in row["links"]})
    shown: set[tuple] = set()
    for row in rows:
        nodes = [tuple(n) for n in row["nodes"]]
        for i, link in enumerate(row["links"]):
            if int(link["case_id"]) in open_ids:
                shown.update((nodes[i], nodes[i + 1]))
    shown.update({(a.kind, a.key), (b.kind, b.key)})
    # only the ends of links in rooms the user may open, and the two asked about
    refs = {node: every_ref[node] for node in shown if node in every_ref}
    out = []
    for row in rows:
        nodes = [tuple(n) for n in row["nodes"]]
        steps = []
        for i, link in enumerate(row["links"]):
            case_id = int(link["case_id"])
            if case_id not in open_ids:
                own = [refs[n] for n in (nodes[i], nodes[i + 1]) if n in refs]
                steps.append({"masked": True, "access_request": visibility.access_token(
                    user, case_id=case_id, from_case_id=None, refs=own)})
                continue
            source = (link["source_kind"], link["source_key"])
            target = nodes[i + 1] if source == nodes[i] else nodes[i]
            item = {**_link_out(link, refs, source, target),
                    "case": {"id": case_id, "number": open_ids[case_id]["number"]},
                    "evidence": evidence.get(link.get("evidence_id"))}
            item.pop("case_id")
            steps.append({"masked": False, "link": item})
        out.append({"hops": len(steps), "nodes": [refs.get(n) for n in nodes],
                    "steps": steps})
    return {"paths": out, "truncated": truncated}
