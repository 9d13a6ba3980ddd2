"""Idempotency keys for actions the terminal replays from its offline queue.

A phone on a bad network sends an arrest, the server records it, the answer is lost; the
queue sends it again. With the action's `Idempotency-Key` the second request finds the
first one's key and gets its record back instead of making another. Keys are per user (one
officer cannot reach another's records by guessing) and bound to what was asked: the same
key with a different request is refused (409) rather than silently answered with a record
that does not match it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from casework.core.errors import Conflict, NotFound
from casework.dispatch.models import IdempotencyKey

_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


def clean_key(key: str | None) -> str | None:
    """None for no key; the key if well formed; otherwise a 400."""
    if key is None or key == "":
        return None
    if not isinstance(key, str) or not _KEY.match(key):
        raise ValidationError({"idempotency_key": [
            _("An Idempotency-Key is 1 to 64 letters, digits or . _ : -")]})
    return key


def fingerprint(**asked) -> str:
    """What the request asked for, in a form two identical requests share."""
    text = json.dumps(asked, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Claim:
    """`replayed_id` is the first request's record for a replay; otherwise this request
    goes ahead and `settle`s the key with its record in the same transaction."""

    row: IdempotencyKey | None
    replayed_id: int | None = None

    def settle(self, object_id: int) -> None:
        if self.row is not None:
            IdempotencyKey.objects.filter(pk=self.row.pk).update(object_id=object_id)


def claim(*, actor, key: str | None, action: str, asked: str) -> Claim:
    """Inside the caller's transaction, after its permission check and before it writes.

    The INSERT of a key another request holds in an open transaction waits for that one
    to end: if it committed, this is a replay of it; if it rolled back, this goes ahead."""
    if key is None:
        return Claim(row=None)
    try:
        with transaction.atomic():   # savepoint: a taken key must not spoil the caller's
            row = IdempotencyKey.objects.create(user=actor, key=key, action=action,
                                                fingerprint=asked)
    except IntegrityError:
        first = IdempotencyKey.objects.get(user=actor, key=key)
        if first.action != action or first.fingerprint != asked:
            raise Conflict(_("This Idempotency-Key was already used for another request.")
                           ) from None
        return Claim(row=None, replayed_id=first.object_id)
    return Claim(row=row)


def replayed(model, pk: int):
    """The first request's record, for a replay of it (no second audit row or event),
    marked `replayed`."""
    record = model.objects.filter(pk=pk).first()
    if record is None:
        raise NotFound(_("The record this Idempotency-Key made no longer exists."))
    record.replayed = True
    return record
