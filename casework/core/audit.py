"""Write audit rows. Call inside the transaction of the change being recorded."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from casework.core.models import AuditEntry
from casework.core.request_context import current_origin


def record(*, actor, action: str, obj: models.Model | None = None,
           object_type: str | None = None, object_id: Any = None,
           case_id: int | None = None, detail: dict | None = None) -> AuditEntry:
    """Append one audit row. Fails loudly outside a transaction so it cannot drift
    from the change it describes."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the transaction of the change")
    origin = current_origin()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry.objects.create(
        actor=actor if authenticated else None,
        actor_name=actor.get_username() if authenticated else "",
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        case_id=case_id,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        detail=detail or {},
    )
