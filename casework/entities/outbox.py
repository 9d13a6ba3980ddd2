"""Graph outbox rows for entities' involvement in cases and for links: the full current
state of each, so the graph sync can MERGE … SET it as often as it likes."""

from __future__ import annotations

from casework.core.outbox import enqueue_many
from casework.entities.models import CaseEntity, Link


def _ms(dt) -> int | None:
    return int(dt.timestamp() * 1000) if dt else None


def link_state(link: Link, source_key: tuple[str, str], target_key: tuple[str, str]) -> dict:
    return {"id": link.pk, "case_id": link.case_id, "kind": link.kind,
            "source": {"kind": source_key[0], "key": source_key[1]},
            "target": {"kind": target_key[0], "key": target_key[1]},
            "count": link.count, "first_seen_ms": _ms(link.first_seen),
            "last_seen_ms": _ms(link.last_seen), "evidence_id": link.evidence_id,
            "version": link.version}


def involvement_state(ce: CaseEntity) -> dict:
    return {"case_id": ce.case_id, "entity": {"kind": ce.entity.kind, "key": ce.entity.key},
            "role": ce.role}


def enqueue_links(links: list[Link]) -> None:
    """One outbox row per link; entities are read in one query."""
    from casework.entities.models import Entity

    ids = {i for link in links for i in (link.source_id, link.target_id)}
    keys = {e["id"]: (e["kind"], e["key"]) for e in
            Entity.objects.filter(id__in=ids).values("id", "kind", "key")}
    enqueue_many([("link", f"link:{link.pk}",
                   link_state(link, keys[link.source_id], keys[link.target_id]))
                  for link in links])


def enqueue_involvements(rows: list[CaseEntity]) -> None:
    enqueue_many([("involvement", f"involvement:{ce.case_id}:{ce.entity_id}",
                   involvement_state(ce)) for ce in rows])
