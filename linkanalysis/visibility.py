"""Need-to-know for graph results: which of the cases a graph answer touches the user may
open, and how its nodes are named for them.

The graph holds every room's links. Nothing of a room the user may not open leaves
through an analysis: such links are not followed (expand), are masked (paths), or reduce
to "a linked case exists" plus the user's own shared entities and an access-request token
(series). Labels of entities come only from rooms the user may open; otherwise an entity
shows its normalised key, and only when the user met it in such a room.
"""

from __future__ import annotations

from django.db import connection

from casework.core.errors import NotFound
from casework.entities.models import Entity
from casework.rooms.access import visible_case_ids_sql
from casework.rooms.access_requests import issue_token

Node = tuple[str, str]  # (kind, normalised key)

# Raw SQL around the choke point's own subquery (visible_case_ids_sql): one analysis
# request runs these four to six times, and building each through the ORM cost 1–2 ms,
# most of the API's time over the engine's (bench/RESULTS.md, "Analysis queries").

_OPEN_CASES = """
SELECT id, number, title FROM rooms_case
WHERE id = ANY(%s::bigint[]) AND id IN ({visible})"""

# The drawn entity (a merged one as its survivor) and whether its group (the survivor and
# everything merged into it) is among the entities of a room the user may open.
_ENTITIES_SEEN = """
SELECT e.id, s.id, s.kind, s.key, s.merged_into_id,
    EXISTS (SELECT 1 FROM entities_entity g
            JOIN entities_caseentity ce ON ce.entity_id = g.id
            WHERE (g.id = s.id OR g.merged_into_id = s.id) AND ce.case_id IN ({visible}))
FROM entities_entity e
JOIN entities_entity s ON s.id = COALESCE(e.merged_into_id, e.id)
WHERE e.id = ANY(%s::bigint[])"""

# Otherwise, whether the group is at either end of a link of such a room. Asked apart (and
# seldom): three copies of the choke point's subquery in one statement tripled planning.
_GROUP_LINKED = """
SELECT EXISTS (SELECT 1 FROM entities_entity g
               JOIN entities_link l ON l.source_id = g.id
               WHERE (g.id = %s OR g.merged_into_id = %s) AND l.case_id IN ({visible}))
    OR EXISTS (SELECT 1 FROM entities_entity g
               JOIN entities_link l ON l.target_id = g.id
               WHERE (g.id = %s OR g.merged_into_id = %s) AND l.case_id IN ({visible}))"""

# Entities by (kind, key) through the unique index (a key alone would scan the table),
# each with its first label in the given rooms; `part` tells apart the node sets that one
# statement names (node_refs_each).
_NODE_REFS = """
SELECT {part}, e.id, e.kind, e.key,
    (SELECT ce.label FROM entities_caseentity ce
     WHERE ce.entity_id = e.id AND ce.label <> '' AND ce.case_id IN ({rooms})
     ORDER BY ce.id LIMIT 1)
FROM unnest(%s::text[], %s::text[]) AS wanted(kind, key)
JOIN entities_entity e ON e.kind = wanted.kind AND e.key = wanted.key"""


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def open_cases(user, case_ids) -> dict[int, dict]:
    """{id: {"id", "number", "title"}} for the given cases the user may open."""
    ids = sorted({int(c) for c in case_ids if c is not None})
    if not ids:
        return {}
    visible, params = visible_case_ids_sql(user)
    rows = _rows(_OPEN_CASES.format(visible=visible), [ids, *params])
    return {i: {"id": i, "number": number, "title": title} for i, number, title in rows}


def entity_for_user(user, entity_id) -> Entity:
    """The entity (as drawn: a merged one as its survivor), if it appears in a room the
    user may open; NotFound otherwise, the same as an entity that does not exist."""
    return entities_for_user(user, [entity_id])[0]


def entities_for_user(user, entity_ids) -> list[Entity]:
    """entity_for_user for several entities at once, in the order given: one query."""
    try:
        ids = [int(i) for i in entity_ids]
    except (TypeError, ValueError):
        raise NotFound("no such entity") from None
    if any(not 0 < i < 2**63 for i in ids):
        raise NotFound("no such entity")
    visible, params = visible_case_ids_sql(user)
    found = {row[0]: row[1:] for row in _rows(_ENTITIES_SEEN.format(visible=visible),
                                              [*params, ids])}
    shown = []
    for i in ids:
        if i not in found:
            raise NotFound("no such entity")
        pk, kind, key, merged_into_id, seen = found[i]
        if not seen and not _rows(_GROUP_LINKED.format(visible=visible),
                                  [pk, pk, *params, pk, pk, *params])[0][0]:
            raise NotFound("no such entity")
        shown.append(Entity(pk=pk, kind=kind, key=key, merged_into_id=merged_into_id))
    return shown


def node_refs(user, nodes, case_ids=None) -> dict[Node, dict]:
    """{(kind, key): {"id", "kind", "key", "label"}}. Labels from the user's open rooms
    (`case_ids`, when given, limits the lookup to rooms already known to be open)."""
    return node_refs_each(user, [(nodes, case_ids)])[0]


def node_refs_each(user, asked: list[tuple]) -> list[dict[Node, dict]]:
    """node_refs for several (nodes, case_ids) at once, in one query."""
    parts, params = [], []
    for number, (nodes, case_ids) in enumerate(asked):
        nodes = sorted(set(nodes))
        if not nodes:
            continue
        if case_ids is None:
            rooms, room_params = visible_case_ids_sql(user)
        else:
            rooms, room_params = "SELECT unnest(%s::bigint[])", [sorted({int(c) for c in
                                                                          case_ids})]
        parts.append(_NODE_REFS.format(part=number, rooms=rooms))
        params += [*room_params, [k for k, _v in nodes], [v for _k, v in nodes]]
    found: list[dict[Node, dict]] = [{} for _ in asked]
    if parts:
        for number, pk, kind, key, label in _rows(" UNION ALL ".join(parts), params):
            found[number][(kind, key)] = {"id": pk, "kind": kind, "key": key,
                                          "label": label or key}
    return found


def access_token(user, *, case_id: int, from_case_id: int | None, refs) -> str:
    """An access-request token naming the user's own shared entities (`refs`, as
    node_refs already resolved them) by id."""
    return issue_token(user=user, case_id=case_id, from_case_id=from_case_id,
                       entity_ids=[r["id"] for r in refs])
