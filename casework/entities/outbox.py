"""Graph outbox rows for entities' involvement in cases and for links: the full current
state of each, so the graph sync can MERGE … SET it as often as it likes.

A link's state is built in SQL (one INSERT … SELECT for any number of links): an import
can change a hundred thousand links at once.
"""

from __future__ import annotations

from django.db import connection, models

from casework.core.outbox import enqueue_many
from casework.entities.models import CaseEntity, Link

LINK_STATE_SQL = """
    INSERT INTO core_graphoutbox (created_at, kind, key, state, attempts)
    SELECT now(), 'link', 'link:' || l.id, jsonb_build_object(
        'id', l.id, 'case_id', l.case_id, 'kind', l.kind,
        'source', jsonb_build_object('kind', s.kind, 'key', s.key),
        'target', jsonb_build_object('kind', t.kind, 'key', t.key),
        'count', l.count,
        'first_seen_ms', (extract(epoch FROM l.first_seen) * 1000)::bigint,
        'last_seen_ms', (extract(epoch FROM l.last_seen) * 1000)::bigint,
        'evidence_id', l.evidence_id, 'version', l.version), 0
    FROM entities_link l
    JOIN entities_entity s0 ON s0.id = l.source_id
    JOIN entities_entity t0 ON t0.id = l.target_id
    -- a merged entity is drawn as the one it was merged into
    JOIN entities_entity s ON s.id = COALESCE(s0.merged_into_id, s0.id)
    JOIN entities_entity t ON t.id = COALESCE(t0.merged_into_id, t0.id)
    WHERE l.id = ANY(%s)
    ORDER BY l.id
"""


def enqueue_link_ids(link_ids: list[int]) -> None:
    """One outbox row per link, with its current state."""
    if link_ids:
        with connection.cursor() as cursor:
            cursor.execute(LINK_STATE_SQL, [list(link_ids)])


def enqueue_links(links: list[Link]) -> None:
    enqueue_link_ids([link.pk for link in links])


# The same state as involvement_state() below, built in SQL for any number of rows (a
# seed or a rebuild writes a million of them).
INVOLVEMENT_STATE_SQL = """
    INSERT INTO core_graphoutbox (created_at, kind, key, state, attempts)
    SELECT now(), 'involvement', 'involvement:' || ce.case_id || ':' || ce.entity_id,
        jsonb_build_object(
            'case_id', ce.case_id,
            'entity', jsonb_build_object('kind', e.kind, 'key', e.key),
            'entity_id', ce.entity_id, 'role', ce.role), 0
    FROM entities_caseentity ce
    JOIN entities_entity e0 ON e0.id = ce.entity_id
    -- a merged entity is drawn as the one it was merged into
    JOIN entities_entity e ON e.id = COALESCE(e0.merged_into_id, e0.id)
    WHERE ce.id = ANY(%s)
    ORDER BY ce.id
"""


def enqueue_involvement_ids(case_entity_ids: list[int]) -> None:
    """One outbox row per CaseEntity, with its current state (see involvement_state)."""
    if case_entity_ids:
        with connection.cursor() as cursor:
            cursor.execute(INVOLVEMENT_STATE_SQL, [list(case_entity_ids)])


def involvement_state(ce: CaseEntity) -> dict:
    shown = ce.entity.merged_into or ce.entity
    return {"case_id": ce.case_id, "entity": {"kind": shown.kind, "key": shown.key},
            "entity_id": ce.entity_id, "role": ce.role}


def enqueue_involvements(rows: list[CaseEntity]) -> None:
    enqueue_many([("involvement", f"involvement:{ce.case_id}:{ce.entity_id}",
                   involvement_state(ce)) for ce in rows])


def enqueue_entity_everywhere(entity_id: int) -> None:
    """Re-send every link and involvement that names the entity (after a merge or its
    undoing changed how the entity is drawn)."""
    link_ids = list(Link.objects.filter(models.Q(source_id=entity_id) |
                                        models.Q(target_id=entity_id))
                    .values_list("id", flat=True))
    enqueue_link_ids(link_ids)
    enqueue_involvements(list(CaseEntity.objects.filter(entity_id=entity_id)
                              .select_related("entity__merged_into")))
