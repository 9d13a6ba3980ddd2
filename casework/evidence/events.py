"""Payload builders for evidence events (flat, see casework.rooms.event_schema)."""

from __future__ import annotations

from casework.evidence.models import CustodyEntry, EvidenceItem
from casework.rooms.events import user_ref


def evidence_payload(item: EvidenceItem) -> dict:
    return {"id": item.pk, "kind": item.kind, "description": item.description,
            "sha256": item.sha256, "size": item.size, "content_type": item.content_type,
            "version": item.version, "supersedes": item.supersedes_id, "status": item.status,
            "collected_by": user_ref(item.collected_by),
            "collected_at": item.collected_at.isoformat(), "place": item.place}


def custody_payload(entry: CustodyEntry) -> dict:
    return {"id": entry.pk, "evidence_id": entry.evidence_id, "seq": entry.seq,
            "from_holder": entry.from_holder, "to_holder": entry.to_holder,
            "reason": entry.reason, "at": entry.at.isoformat()}
