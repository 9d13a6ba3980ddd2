"""The custody chain: append and verify.

Each entry's MAC covers its own fields, the file's hash as recorded at that moment, and
the previous entry's MAC, keyed with settings.CUSTODY_HMAC_KEY (never stored in the
database). Someone who can write to the database but does not hold the key cannot produce
a valid entry, so an edited entry — even with every later MAC recomputed — a deleted one,
or a file swapped on disk is detected.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC

from django.conf import settings

from casework.evidence.models import CustodyEntry, EvidenceItem


def _mac(entry: CustodyEntry) -> str:
    body = json.dumps({
        "evidence": entry.evidence_id, "seq": entry.seq, "from": entry.from_holder,
        "to": entry.to_holder, "at": entry.at.astimezone(UTC).isoformat(), "reason": entry.reason,
        "file_sha256": entry.file_sha256, "actor": entry.actor_id, "prev": entry.prev_mac,
    }, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(settings.CUSTODY_HMAC_KEY.encode(), body, hashlib.sha256).hexdigest()


def append(*, item: EvidenceItem, actor, from_holder: str, to_holder: str,
           reason: str, at=None) -> CustodyEntry:
    """Add the next entry. The caller holds a lock on the item (select_for_update) so two
    hand-overs cannot take the same place in the chain."""
    last = (CustodyEntry.objects.filter(evidence=item).order_by("-seq")
            .values("seq", "mac").first())
    entry = CustodyEntry(evidence=item, seq=(last["seq"] + 1) if last else 1,
                         from_holder=from_holder, to_holder=to_holder, reason=reason,
                         file_sha256=item.sha256, actor=actor,
                         prev_mac=last["mac"] if last else "")
    if at is not None:
        entry.at = at
    entry.mac = _mac(entry)
    entry.save()
    return entry


@dataclass
class ChainReport:
    evidence_id: int
    entries: int
    ok: bool
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"evidence_id": self.evidence_id, "entries": self.entries, "ok": self.ok,
                "problems": self.problems}


def verify_item(item: EvidenceItem, *, check_file: bool = True) -> ChainReport:
    """Check one item's chain, and (optionally) its file against the recorded hash."""
    problems: list[str] = []
    entries = list(CustodyEntry.objects.filter(evidence=item).order_by("seq"))
    prev_mac = ""
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq:
            problems.append(f"entry {expected_seq} is missing (next found is {entry.seq})")
        if entry.prev_mac != prev_mac:
            problems.append(f"entry {entry.seq} does not follow the entry before it")
        if not hmac.compare_digest(entry.mac, _mac(entry)):
            problems.append(f"entry {entry.seq} was altered")
        if item.sha256 and entry.file_sha256 != item.sha256:
            problems.append(f"entry {entry.seq} records another file hash")
        prev_mac = entry.mac
    if not entries:
        problems.append("no custody entries")
    if check_file and item.file:
        from casework.evidence.files import sha256_of_stored

        actual = sha256_of_stored(item.file)
        if actual != item.sha256:
            problems.append(f"file altered: SHA-256 is {actual}, recorded {item.sha256}")
    return ChainReport(item.pk, len(entries), not problems, problems)

