"""JSON Schemas of the room's WebSocket events: what clients may rely on.

Every event is one flat object: `type`, `event_id` (increasing per room), `case_id`,
`id` (the object's id), `actor` (who caused it, or null), then the object's fields.
"""

from __future__ import annotations

USER = {
    "type": ["object", "null"],
    "required": ["id", "username", "display_name"],
    "properties": {"id": {"type": "integer"}, "username": {"type": "string"},
                   "display_name": {"type": "string"}},
}


def _event(type_: str, fields: dict, required: list[str]) -> dict:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": type_,
        "type": "object",
        "required": ["type", "event_id", "case_id", "id", "actor", *required],
        "properties": {
            "type": {"const": type_},
            "event_id": {"type": "integer", "minimum": 1},
            "case_id": {"type": "integer"},
            "id": {"type": "integer"},
            "actor": USER,
            **fields,
        },
        "additionalProperties": False,
    }


_CASE = {"number": {"type": "string"}, "title": {"type": "string"},
         "status": {"enum": ["open", "closed"]}}
_MEMBER = {"user": USER, "role": {"enum": ["lead", "member", "observer"]},
           "can_dispatch": {"type": "boolean"}}
_MESSAGE = {"text": {"type": "string", "minLength": 1}, "author": USER,
            "created_at": {"type": "string", "format": "date-time"}}

_EVIDENCE = {"kind": {"type": "string"}, "description": {"type": "string"},
             "sha256": {"type": "string"}, "size": {"type": ["integer", "null"]},
             "content_type": {"type": "string"}, "version": {"type": "integer"},
             "supersedes": {"type": ["integer", "null"]},
             "status": {"enum": ["active", "superseded", "withdrawn"]},
             "collected_by": USER, "collected_at": {"type": "string", "format": "date-time"},
             "place": {"type": "string"}}
_CUSTODY = {"evidence_id": {"type": "integer"}, "seq": {"type": "integer"},
            "from_holder": {"type": "string"}, "to_holder": {"type": "string"},
            "reason": {"type": "string"}, "at": {"type": "string", "format": "date-time"}}
_ENTITY = {"kind": {"enum": ["person", "phone", "vehicle", "bank_account", "location"]},
           "key": {"type": "string"}, "label": {"type": "string"}, "role": {"type": "string"}}
_TIME = {"type": ["string", "null"], "format": "date-time"}
_LINK = {"kind": {"type": "string"}, "source": {"type": "integer"},
         "target": {"type": "integer"}, "count": {"type": "integer"}, "first_seen": _TIME,
         "last_seen": _TIME, "evidence_id": {"type": "integer"}}
_IMPORT = {"kind": {"enum": ["calls", "sightings"]}, "counts": {"type": "object"},
           "evidence_id": {"type": "integer"}}

_ENTITY_REF = {"type": "object", "required": ["id", "kind", "key"],
               "properties": {"id": {"type": "integer"}, "kind": {"type": "string"},
                              "key": {"type": "string"}}}
_ACCESS = {"requester": {**USER, "properties": {**USER["properties"],
                                                "unit": {"type": "string"}}},
           "reason": {"type": "string"}, "status": {"enum": ["pending", "granted", "refused"]},
           "shared": {"type": "array", "items": _ENTITY_REF}, "expires_at": _TIME}
# The other case is not in the stored event: the consumer adds it per user, and only
# for users who may open it (need-to-know).
_SERIES = {"entity": _ENTITY_REF, "case": {"type": ["object", "null"]},
           "masked": {"type": "boolean"}}

_UNIT_REF = {"type": ["object", "null"], "required": ["id", "call_sign", "name"],
             "properties": {"id": {"type": "integer"}, "call_sign": {"type": "string"},
                            "name": {"type": "string"}}}
_STATUS = ["sent", "delivered", "acknowledged", "en_route", "on_scene", "completed",
           "declined", "cancelled"]
_ASSIGNMENT = {"assignment_id": {"type": "integer"}, "instruction_id": {"type": "integer"},
               "unit": _UNIT_REF, "status": {"enum": _STATUS},
               "result": {"enum": ["", "captured", "not_found", "handed_over"]},
               "reason": {"type": "string"}, "ack_deadline_at": _TIME,
               "times": {"type": "object",
                         "properties": {s: _TIME for s in _STATUS}},
               "positions": {"type": "object"}, "replaces": {"type": ["integer", "null"]},
               "escalated": {"type": "boolean"}, "drill": {"type": "boolean"},
               "kind": {"enum": ["capture", "intercept", "search", "verify", "guard"]},
               "priority": {"enum": ["low", "normal", "high", "urgent"]}}
_ESCALATED = {**_ASSIGNMENT, "late_ms": {"type": "integer"}, "suggested_unit": _UNIT_REF}
_ARREST = {"name": {"type": "string"}, "person": {"type": ["integer", "null"]},
           "arrested_at": {"type": "string", "format": "date-time"},
           "place": {"type": "string"}, "unit": {"type": ["integer", "null"]},
           "assignment": {"type": ["integer", "null"]}, "drill": {"type": "boolean"}}
_RECOVERY = {"items": {"type": "string"}, "value": {"type": "string"},
             "drill": {"type": "boolean"},
             "recovered_at": {"type": "string", "format": "date-time"}}

EVENT_SCHEMAS: dict[str, dict] = {
    **{f"assignment.{s}": _event(f"assignment.{s}", _ASSIGNMENT, list(_ASSIGNMENT))
       for s in _STATUS},
    "assignment.escalated": _event("assignment.escalated", _ESCALATED, list(_ESCALATED)),
    "arrest.recorded": _event("arrest.recorded", _ARREST, list(_ARREST)),
    "recovery.recorded": _event("recovery.recorded", _RECOVERY, list(_RECOVERY)),
    **{t: _event(t, _ACCESS, list(_ACCESS)) for t in
       ("access.requested", "access.granted", "access.refused")},
    "series.alert": _event("series.alert", _SERIES, ["entity"]),
    **{t: _event(t, _EVIDENCE, list(_EVIDENCE)) for t in
       ("evidence.added", "evidence.corrected", "evidence.withdrawn")},
    "custody.transferred": _event("custody.transferred", _CUSTODY, list(_CUSTODY)),
    "entity.added": _event("entity.added", _ENTITY, list(_ENTITY)),
    "link.added": _event("link.added", _LINK, list(_LINK)),
    "import.succeeded": _event("import.succeeded", _IMPORT, list(_IMPORT)),
    "entity.merged": _event("entity.merged", {"survivor": {"type": "integer"},
                                              "merged": {"type": "integer"},
                                              "undone": {"type": "boolean"}},
                            ["survivor", "merged", "undone"]),
    **{t: _event(t, _CASE, list(_CASE)) for t in
       ("case.opened", "case.updated", "case.closed", "case.reopened")},
    **{t: _event(t, _MEMBER, list(_MEMBER)) for t in
       ("member.added", "member.changed", "member.removed")},
    "message.posted": _event("message.posted", _MESSAGE, list(_MESSAGE)),
}
