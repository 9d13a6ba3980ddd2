"""Link-analysis read paths, each checked at the rooms' choke point."""

from __future__ import annotations

from django.utils import timezone

from casework.rooms.access import get_case_for_user
from casework.rooms.choices import CasePerm
from linkanalysis import analysis


def key_players_for(*, user, case_id: int, steps: int = 5) -> dict:
    case = get_case_for_user(user, case_id, CasePerm.ANALYSE)
    graph = analysis.room_network(case.pk)
    players = analysis.key_players(graph)
    removed = analysis.disruption(graph, steps)
    refs = analysis.entity_refs(case.pk, set(graph.nodes))
    return {
        "results": [{"entity": refs[p.entity_id], "degree": p.degree,
                     "betweenness": round(p.betweenness, 6), "pagerank": round(p.pagerank, 6)}
                    for p in players],
        "disruption": [{"entity": refs[n], "largest_group_fraction": round(f, 4)}
                       for n, f in removed],
    }


def room_network_for(*, user, case_id: int) -> dict:
    """The room's network: its entities and the links whose provenance is the room, each
    with the evidence behind it. Merged entities appear as their survivor."""
    from casework.entities.models import CaseEntity, Link

    case = get_case_for_user(user, case_id, CasePerm.ANALYSE)
    members = list(CaseEntity.objects.filter(case=case).select_related("entity"))
    canonical = {ce.entity_id: ce.entity.merged_into_id or ce.entity_id for ce in members}
    links = list(Link.objects.filter(case=case).select_related("evidence").order_by("id"))
    ids = set(canonical.values()) | {canonical.get(x, x) for link in links
                                     for x in (link.source_id, link.target_id)}
    refs = analysis.entity_refs(case.pk, ids)
    roles = {canonical[ce.entity_id]: ce.role for ce in members if ce.role}
    return {
        "nodes": [{**refs[i], "role": roles.get(i, "")} for i in sorted(refs)],
        "edges": [{
            "id": link.pk, "kind": link.kind,
            "source": canonical.get(link.source_id, link.source_id),
            "target": canonical.get(link.target_id, link.target_id),
            "count": link.count,
            "first_seen": _local(link.first_seen), "last_seen": _local(link.last_seen),
            "evidence": {"id": link.evidence_id, "kind": link.evidence.kind,
                         "description": link.evidence.description},
        } for link in links],
    }


def _local(moment):
    """ISO 8601 in Asia/Shanghai, as the rest of the API shows times."""
    return timezone.localtime(moment).isoformat() if moment else None
