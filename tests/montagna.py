"""Adapter: the Montagna operation's data (../shared/data/montagna) onto Casework's own
services, as one room.

- phonecalls.tsv `a b n`: person a's phone called person b's phone n times. Loaded as n
  call records from a's phone to b's phone (synthetic, one minute apart) through the CSV
  import, so CALLED links are directed a → b with count n. Pairs listed in both
  directions (26 of them) stay two directed links; as undirected contacts they are one.
- meetings.tsv `a b n`: persons a and b met n times. MET is undirected: a–b and b–a are
  one link and their counts are summed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from casework.entities import imports, services
from casework.evidence import services as evidence_services


def _shared() -> Path:
    """../shared beside the checkout (as CI has it), or beside the repository this one was
    cloned from (a fresh clone in a temporary folder), or SHARED_DIR. Missing data fails
    the tests that need it; nothing is skipped."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[1]
    candidates = [Path(os.environ["SHARED_DIR"])] if os.environ.get("SHARED_DIR") else []
    candidates.append(root.parent / "shared")
    origin = subprocess.run(["git", "config", "--get", "remote.origin.url"], cwd=root,
                            capture_output=True, text=True).stdout.strip()
    if origin and "://" not in origin:
        candidates.append(Path(origin).resolve().parent / "shared")
    for candidate in candidates:
        if (candidate / "data").is_dir():
            return candidate
    return candidates[0]


DATA = _shared() / "data" / "montagna"
START = datetime(2005, 1, 1, 8, 0, tzinfo=ZoneInfo("Europe/Rome"))


def triples(name: str) -> list[tuple[int, int, int]]:
    rows = []
    for line in (DATA / name).read_text().split("\n"):
        if line.strip():
            a, b, n = line.split()
            rows.append((int(a), int(b), int(n)))
    return rows


def phone_of(person: int) -> str:
    return f"+86139{person:08d}"


def calls_csv() -> bytes:
    lines = ["caller,callee,start_time,duration_s"]
    minute = 0
    for a, b, n in triples("phonecalls.tsv"):
        for _ in range(n):
            lines.append(f"{phone_of(a)},{phone_of(b)},"
                         f"{(START + timedelta(minutes=minute)).isoformat()},60")
            minute += 1
    return ("\n".join(lines) + "\n").encode()


def load_calls(*, actor, case_id: int):
    return imports.import_now(actor=actor, case_id=case_id, kind="calls", data=calls_csv(),
                              name="montagna-phonecalls.csv")


def load_meetings(*, actor, case_id: int) -> dict[int, int]:
    """person → entity id; MET links through the hand-entry service."""
    source = evidence_services.add_evidence(
        actor=actor, case_id=case_id, kind="document",
        description="Montagna operation: meetings from police surveillance (Cavallaro et "
                    "al. 2020)")
    people = sorted({p for a, b, _ in triples("meetings.tsv") for p in (a, b)})
    ids = {}
    for person in people:
        ce = services.add_entity(actor=actor, case_id=case_id, kind="person",
                                 value=f"Montagna #{person}", label=f"Montagna #{person}",
                                 role="suspect")
        ids[person] = ce.entity_id
    for a, b, n in triples("meetings.tsv"):
        if a != b:
            services.add_link(actor=actor, case_id=case_id, kind="MET", source=ids[a],
                              target=ids[b], evidence_id=source.pk, count=n)
    return ids
