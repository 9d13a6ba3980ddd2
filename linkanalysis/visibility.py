"""Need-to-know for graph results: which of the cases a graph answer touches the user may
open, and how its nodes are named for them.

The graph holds every room's links. Nothing of a room the user may not open leaves
through an analysis: such links are not followed (expand), are masked (paths), or reduce
to "a linked case exists" plus the user's own shared entities and an access-request token
(series). Labels of entities come only from rooms the user may open; otherwise an entity
shows its normalised key, and only when the user met it in such a room.
"""

from __future__ import annotations

from django.db.models import Q

from casework.core.errors import NotFound
from casework.entities.models import CaseEntity, Entity, Link
from casework.rooms.access import visible_cases
from casework.rooms.access_requests import issue_token

Node = tuple[str, str]  # (kind, normalised key)


def open_cases(user, case_ids) -> dict[int, dict]:
    """{id: {"id", "number", "title"}} for the given cases the user may open."""
    ids = {int(c) for c in case_ids if c is not None}
    if not ids:
        return {}
    rows = visible_cases(user).filter(pk__in=ids).values("id", "number", "title")
    return {r["id"]: dict(r) for r in rows}


def entity_for_user(user, entity_id) -> Entity:
    """The entity (as drawn: a merged one as its survivor), if it appears in a room the
    user may open; NotFound otherwise, the same as an entity that does not exist."""
    try:
        entity = Entity.objects.select_related("merged_into").get(pk=int(entity_id))
    except (Entity.DoesNotExist, TypeError, ValueError):
        raise NotFound("no such entity") from None
    shown = entity.merged_into or entity
    group = Q(pk=shown.pk) | Q(merged_into=shown.pk)
    members = Entity.objects.filter(group).values("id")
    cases = visible_cases(user)
    seen = (CaseEntity.objects.filter(entity__in=members, case__in=cases).exists()
            or Link.objects.filter(Q(source__in=members) | Q(target__in=members),
                                   case__in=cases).exists())
    if not seen:
        raise NotFound("no such entity")
    return shown


def node_refs(user, nodes, case_ids=None) -> dict[Node, dict]:
    """{(kind, key): {"id", "kind", "key", "label"}}. Labels from the user's open rooms
    (`case_ids`, when given, limits the lookup to rooms already known to be open)."""
    nodes = set(nodes)
    if not nodes:
        return {}
    by_kind: dict[str, list[str]] = {}
    for kind, key in nodes:
        by_kind.setdefault(kind, []).append(key)
    # by kind, then key: the unique (kind, key) index (a key alone would scan the table)
    condition = Q()
    for kind, keys in by_kind.items():
        condition |= Q(kind=kind, key__in=keys)
    entities = list(Entity.objects.filter(condition))
    by_id = {e.pk: e for e in entities}
    labels: dict[int, str] = {}
    label_rows = CaseEntity.objects.filter(entity__in=by_id).exclude(label="")
    label_rows = (label_rows.filter(case_id__in=case_ids) if case_ids is not None
                  else label_rows.filter(case__in=visible_cases(user)))
    for entity_id, label in label_rows.order_by("id").values_list("entity_id", "label"):
        labels.setdefault(entity_id, label)
    return {(e.kind, e.key): {"id": e.pk, "kind": e.kind, "key": e.key,
                              "label": labels.get(e.pk) or e.key} for e in entities}


def access_token(user, *, case_id: int, from_case_id: int | None, refs) -> str:
    """An access-request token naming the user's own shared entities (`refs`, as
    node_refs already resolved them) by id."""
    return issue_token(user=user, case_id=case_id, from_case_id=from_case_id,
                       entity_ids=[r["id"] for r in refs])
