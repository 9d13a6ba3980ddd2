"""Link-analysis read paths, each checked at the rooms' choke point."""

from __future__ import annotations

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
