"""Payload builders for entity and link events."""

from __future__ import annotations

from casework.entities.models import CaseEntity, Link


def entity_payload(ce: CaseEntity) -> dict:
    return {"id": ce.entity_id, "kind": ce.entity.kind, "key": ce.entity.key,
            "label": ce.label or ce.entity.key, "role": ce.role}


def link_payload(link: Link) -> dict:
    return {"id": link.pk, "kind": link.kind, "source": link.source_id,
            "target": link.target_id, "count": link.count,
            "first_seen": link.first_seen.isoformat() if link.first_seen else None,
            "last_seen": link.last_seen.isoformat() if link.last_seen else None,
            "evidence_id": link.evidence_id}
