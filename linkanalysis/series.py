"""Series cases: other cases that share persons, phones, vehicles or accounts with a case,
directly or within two hops, ranked by a score that weighs what is shared.

Score of a linked case = the sum, over the distinct entities that tie it to this case, of
    type weight × rarity × (1 for a shared entity, 0.5 for one two hops away)
with rarity = 1 / log2(1 + the number of cases the entity appears in). An entity in more
than SERIES_HUB_CAP other cases (a parcel locker's phone, a taxi company's switchboard) counts
for nothing: it would tie everything to everything. Two hops: one of this case's entities
linked to an entity of the other case (both under the cap).

Need-to-know: a case the user may not open comes back masked — no number, title or unit,
and reasons that name only the user's own entities of this case — with an access-request
token for its lead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.entities.choices import LinkKind
from linkanalysis import visibility
from linkanalysis.graph import repository
from linkanalysis.graph.port import GraphTimeout

TYPE_WEIGHT = {"person": 1.0, "bank_account": 1.0, "phone": 0.9, "vehicle": 0.9,
               "location": 0.2}
TWO_HOP_FACTOR = 0.5
TWO_HOP_ROWS = 5000
KIND_WORDS = {"person": gettext_lazy("person"), "phone": gettext_lazy("phone"),
              "vehicle": gettext_lazy("vehicle"), "bank_account": gettext_lazy("bank account"),
              "location": gettext_lazy("place")}


def rarity(n_cases: int) -> float:
    return 1.0 / math.log2(1 + max(n_cases, 1))


@dataclass
class Candidate:
    case_id: int
    score: float = 0.0
    direct: dict = field(default_factory=dict)   # own node → its case count
    via: dict = field(default_factory=dict)      # (own node, other node) → (count, link case)


def candidates(case_id: int, hub_cap: int, budget_ms: int) -> tuple[dict[int, Candidate],
                                                                  list[tuple], bool]:
    """Linked cases with their ties (from the graph), the hubs left out, and whether the
    time budget cut the two-hop part short."""
    found: dict[int, Candidate] = {}
    direct = repository.series_direct(case_id, hub_cap=hub_cap, timeout_ms=budget_ms)
    # (kind, key, number of cases including this one)
    hubs = [(r["kind"], r["key"], int(r["n_cases"]) + 1) for r in direct
            if int(r["n_cases"]) > hub_cap]
    for r in direct:
        n = int(r["n_cases"]) + 1  # with this case
        for other in r["cases"] or []:
            cand = found.setdefault(int(other), Candidate(int(other)))
            cand.direct[(r["kind"], r["key"])] = n
    truncated = False
    try:
        rows = repository.series_two_hops(case_id, hubs=[h[1] for h in hubs], hub_cap=hub_cap,
                                          limit=TWO_HOP_ROWS, timeout_ms=budget_ms)
    except GraphTimeout:
        rows, truncated = [], True
    for r in rows:
        n = len(r["cases"])
        for other in r["cases"]:
            if int(other) == case_id:
                continue
            cand = found.setdefault(int(other), Candidate(int(other)))
            key = ((r["kind"], r["key"]), (r["via_kind"], r["via_key"]))
            cand.via.setdefault(key, (n, int(r["link_case"]), r["link_kind"]))
    for cand in found.values():
        cand.score = sum(TYPE_WEIGHT.get(kind, 0.5) * rarity(n)
                         for (kind, _key), n in cand.direct.items())
        # a two-hop tie through an entity already shared directly adds nothing new
        for (own, other), (n, _lc, _lk) in cand.via.items():
            if own not in cand.direct and other not in cand.direct:
                cand.score += TWO_HOP_FACTOR * TYPE_WEIGHT.get(other[0], 0.5) * rarity(n + 1)
    return found, hubs, truncated


def _word(kind: str) -> str:
    return str(KIND_WORDS.get(kind, kind))


def _link_word(kind: str) -> str:
    return str(LinkKind(kind).label) if kind in LinkKind.values else kind


def series_for_case(user, case_id: int, *, limit: int = 50) -> dict:
    found, hubs, truncated = candidates(case_id, settings.SERIES_HUB_CAP,
                                        settings.GRAPH_QUERY_BUDGET_MS)
    ranked = sorted((c for c in found.values() if c.score > 0),
                    key=lambda c: (-c.score, c.case_id))[:limit]
    open_ids = visibility.open_cases(user, {c.case_id for c in ranked})
    own_nodes = {n for c in ranked for n in c.direct} | {o for c in ranked for o, _v in c.via}
    # this case's entities named as this room names them; the others' as their open rooms
    own, theirs = visibility.node_refs_each(user, [
        (own_nodes, [case_id]), ({o for c in ranked for _m, o in c.via}, list(open_ids))])
    results = []
    for cand in ranked:
        visible = cand.case_id in open_ids
        reasons = []
        for node, n in sorted(cand.direct.items(), key=lambda x: x[1]):
            label = own[node]["label"] if node in own else node[1]
            reasons.append(_("shares the %(kind)s %(label)s (in %(n)d cases)")
                           % {"kind": _word(node[0]), "label": label, "n": n})
        for (mine, other), (_n, link_case, link_kind) in cand.via.items():
            if mine in cand.direct or other in cand.direct:
                continue   # already a shared entity: the two-hop tie adds nothing
            label = own[mine]["label"] if mine in own else mine[1]
            if visible and link_case in set(open_ids) | {case_id}:
                reasons.append(_("your %(kind)s %(label)s is linked (%(link)s) to the "
                                 "%(other_kind)s %(other)s of that case")
                               % {"kind": _word(mine[0]), "label": label,
                                  "link": _link_word(link_kind),
                                  "other_kind": _word(other[0]),
                                  "other": theirs[other]["label"] if other in theirs
                                  else other[1]})
            else:
                reasons.append(_("your %(kind)s %(label)s is two links away from that case")
                               % {"kind": _word(mine[0]), "label": label})
        item = {"case": ({"id": cand.case_id, "number": open_ids[cand.case_id]["number"],
                          "title": open_ids[cand.case_id]["title"]} if visible else None),
                "masked": not visible, "score": round(cand.score, 4), "reasons": reasons}
        if not visible:
            item["access_request"] = visibility.access_token(
                user, case_id=cand.case_id, from_case_id=case_id,
                refs=[own[n] for n in [*cand.direct, *(m for m, _o in cand.via)]
                      if n in own])
        results.append(item)
    return {"results": results, "truncated": truncated,
            "hubs_ignored": [{"kind": k, "key": key, "cases": n} for k, key, n in hubs]}
