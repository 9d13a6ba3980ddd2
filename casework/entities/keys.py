"""From what a user typed to an entity's (kind, key)."""

from __future__ import annotations

import uuid

from casework.entities import normalise
from casework.entities.choices import EntityKind


def key_for(kind: str, value: str, details: dict | None = None) -> str:
    """The normalised key of an entity of `kind` described by `value` (and details).

    A person is keyed by a valid resident ID number when one is given; a person known only
    by name gets a key of their own (two rooms' "张伟" are not assumed to be one person).
    """
    details = details or {}
    if kind == EntityKind.PHONE:
        if value:
            return normalise.phone(value)
        return "imei:" + normalise.imei(details.get("imei", ""))
    if kind == EntityKind.VEHICLE:
        return normalise.plate(value)
    if kind == EntityKind.BANK_ACCOUNT:
        return normalise.bank_account(value)
    if kind == EntityKind.PERSON:
        id_number = details.get("id_number") or ""
        if id_number:
            return normalise.id_number(id_number)
        return f"local:{uuid.uuid4().hex}"
    if kind == EntityKind.LOCATION:
        return normalise.text(value)
    raise normalise.InvalidKey(f"unknown entity kind {kind!r}")
