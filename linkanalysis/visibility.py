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

# Raw SQL, around the choke point's own subquery (visible_case_ids_sql) where it asks what
# the user may open: one analysis request runs three to five of these, and building each
# through the ORM cost 1–2 ms, most of the API's time over the engine's (bench/RESULTS.md,
# "Analysis queries").

# The asked ids are given to the choke point's subquery too: PostgreSQL pushes them into
# it, which then reads only those cases. Without, a few hundred ids made it hash every
# visible case (a scan of all 100,000 at the benchmark's scale: 7–25 ms).
_OPEN_CASES = """
SELECT id, number, title FROM rooms_case
WHERE id = ANY(%s::bigint[])
  AND id IN (SELECT v.id FROM ({visible}) AS v(id) WHERE v.id = ANY(%s::bigint[]))"""

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

# Entities by (kind, key) through the unique index (a key alone would scan the table).
_ENTITIES_BY_KEY = """
SELECT e.id, e.kind, e.key FROM unnest(%s::text[], %s::text[]) AS wanted(kind, key)
JOIN entities_entity e ON e.kind = wanted.kind AND e.key = wanted.key"""

# Each entity's first label (by row) in the given rooms, `part` telling apart the sets one
# statement answers. Apart from the entities' lookup, with both lists as values: from the
# entity ids PostgreSQL's statistics see a hub (an entity in thousands of rooms) and read
# the (room, entity) index room by room; found inside the statement, it read every room
# entry of the hub (6,589 rows, 7 ms).
_LABELS = """(
SELECT DISTINCT ON (entity_id) {part}, entity_id, label FROM entities_caseentity
WHERE entity_id = ANY(%s::bigint[]) AND case_id = ANY(%s::bigint[]) AND label <> ''
ORDER BY entity_id, id)"""

# What an answer may show, in one statement: which of the given cases the user may open,
# the entities of the nodes it shows, and the evidence items of those rooms. A node is
# looked up when it is shown anyway (case NULL) or reached through a link of an open room
# or of a `known` open one; not the rest (most of a path's nodes lie in rooms the user may
# not open).
_NAMED = """
WITH open AS MATERIALIZED (
    SELECT id, number, title FROM rooms_case
    WHERE id = ANY(%s::bigint[])
      AND id IN (SELECT v.id FROM ({visible}) AS v(id) WHERE v.id = ANY(%s::bigint[]))),
wanted AS (
    SELECT DISTINCT w.kind, w.key
    FROM unnest(%s::text[], %s::text[], %s::bigint[]) AS w(kind, key, case_id)
    WHERE w.case_id IS NULL OR w.case_id = ANY(%s::bigint[])
       OR w.case_id IN (SELECT id FROM open))
SELECT
    (SELECT json_agg(json_build_array(id, number, title)) FROM open),
    (SELECT json_agg(json_build_array(e.id, e.kind, e.key))
     FROM wanted JOIN entities_entity e ON e.kind = wanted.kind AND e.key = wanted.key),
    (SELECT json_agg(json_build_array(ev.id, ev.kind, ev.description))
     FROM evidence_evidenceitem ev
     WHERE ev.id = ANY(%s::bigint[]) AND ev.case_id IN (SELECT id FROM open))"""


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
    rows = _rows(_OPEN_CASES.format(visible=visible), [ids, *params, ids])
    return {i: {"id": i, "number": number, "title": title} for i, number, title in rows}


def named(user, case_ids, nodes, *, known_open=(), evidence_ids=()) -> tuple[dict, dict,
                                                                               dict]:
    """open_cases(user, case_ids); node_refs of `nodes` ((kind, key, the case id of the
    link that reaches it, or None when shown anyway)) reached through those open rooms or
    `known_open`, labelled from both; and {id: {"id", "kind", "description"}} of the
    evidence items among `evidence_ids` that belong to the open rooms. Two queries."""
    ids = sorted({int(c) for c in case_ids if c is not None})
    known = sorted({int(c) for c in known_open})
    nodes = sorted(set(nodes), key=lambda n: (n[0], n[1], -1 if n[2] is None else n[2]))
    visible, params = visible_case_ids_sql(user)
    [(cases, entities, evidence)] = _rows(_NAMED.format(visible=visible), [
        ids, *params, ids, [n[0] for n in nodes], [n[1] for n in nodes],
        [n[2] for n in nodes], known, sorted({int(e) for e in evidence_ids if e})])
    opened = {i: {"id": i, "number": number, "title": title} for i, number, title in
              cases or []}
    [labels] = _labels([([pk for pk, _k, _v in entities or []], [*opened, *known])])
    return (opened,
            {(kind, key): {"id": pk, "kind": kind, "key": key,
                           "label": labels.get(pk) or key} for pk, kind, key in entities or []},
            {i: {"id": i, "kind": kind, "description": description}
             for i, kind, description in evidence or []})


def _labels(asked: list[tuple]) -> list[dict[int, str]]:
    """For each (entity ids, room ids): {entity id: its first label there}. One query."""
    parts, params = [], []
    for number, (entity_ids, rooms) in enumerate(asked):
        if entity_ids and rooms:
            parts.append(_LABELS.format(part=number))
            params += [sorted(set(entity_ids)), sorted({int(r) for r in rooms})]
    found: list[dict[int, str]] = [{} for _ in asked]
    if parts:
        for number, entity_id, label in _rows(" UNION ALL ".join(parts), params):
            found[number][entity_id] = label
    return found


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


def node_refs(user, nodes, case_ids) -> dict[Node, dict]:
    """{(kind, key): {"id", "kind", "key", "label"}}, labels from the rooms `case_ids`
    (rooms already known to be open to the user)."""
    return node_refs_each(user, [(nodes, case_ids)])[0]


def node_refs_each(user, asked: list[tuple]) -> list[dict[Node, dict]]:
    """node_refs for several (nodes, case_ids) at once: two queries."""
    every = sorted({node for nodes, _rooms in asked for node in nodes})
    if not every:
        return [{} for _ in asked]
    entities = {(kind, key): pk for pk, kind, key in _rows(
        _ENTITIES_BY_KEY, [[k for k, _v in every], [v for _k, v in every]])}
    labels = _labels([([entities[n] for n in set(nodes) if n in entities], rooms)
                      for nodes, rooms in asked])
    return [{n: {"id": entities[n], "kind": n[0], "key": n[1],
                 "label": part_labels.get(entities[n]) or n[1]}
             for n in set(nodes) if n in entities}
            for (nodes, _rooms), part_labels in zip(asked, labels, strict=True)]


def access_token(user, *, case_id: int, from_case_id: int | None, refs) -> str:
    """An access-request token naming the user's own shared entities (`refs`, as
    node_refs already resolved them) by id."""
    return issue_token(user=user, case_id=case_id, from_case_id=from_case_id,
                       entity_ids=[r["id"] for r in refs])
