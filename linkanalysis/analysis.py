"""Network measures over a room's network: the links whose provenance is the room,
between entities (never through case or evidence nodes), undirected and unweighted.

Exact betweenness over all sources (networkx, no sampling: sampled approximations change
the ranking). Disruption is sequential: remove the entity of highest betweenness,
recompute, repeat; each step reports the largest connected component's size over its
size before any removal.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from casework.entities.models import Entity, Link


def room_network(case_id: int, also: tuple[int, ...] = ()) -> nx.Graph:
    """Nodes are entity ids (a merged entity counts as the one it was merged into); edges
    carry the link ids behind them. `also`: further rooms whose links join in."""
    graph = nx.Graph()
    rows = Link.objects.filter(case_id__in=[case_id, *also]).values_list(
        "id", "source_id", "source__merged_into_id", "target_id", "target__merged_into_id")
    for link_id, source, source_merged, target, target_merged in rows:
        a, b = source_merged or source, target_merged or target
        if a != b:
            if graph.has_edge(a, b):
                graph[a][b]["links"].append(link_id)
            else:
                graph.add_edge(a, b, links=[link_id])
    return graph


def groups(graph: nx.Graph, seed: int = 42) -> list[set[int]]:
    """Louvain communities (networkx; fixed seed so the page shows the same groups on
    every load), largest first."""
    if graph.number_of_edges() == 0:
        return []
    found = nx.community.louvain_communities(graph, seed=seed)
    return sorted(found, key=lambda c: (-len(c), min(c)))


@dataclass(frozen=True)
class KeyPlayer:
    entity_id: int
    degree: int
    betweenness: float
    pagerank: float


def key_players(graph: nx.Graph) -> list[KeyPlayer]:
    """Every node, by betweenness (then degree, then id, so the order is stable)."""
    if graph.number_of_nodes() == 0:
        return []
    betweenness = nx.betweenness_centrality(graph, normalized=True)
    pagerank = nx.pagerank(graph)
    players = [KeyPlayer(n, graph.degree(n), betweenness[n], pagerank[n]) for n in graph]
    return sorted(players, key=lambda p: (-p.betweenness, -p.degree, p.entity_id))


def largest_component(graph: nx.Graph) -> int:
    return max((len(c) for c in nx.connected_components(graph)), default=0)


def disruption(graph: nx.Graph, steps: int = 5) -> list[tuple[int, float]]:
    """[(entity removed, largest component / largest component before any removal)]."""
    graph = graph.copy()
    start = largest_component(graph)
    out = []
    for _ in range(min(steps, graph.number_of_nodes())):
        betweenness = nx.betweenness_centrality(graph, normalized=True)
        target = min(graph, key=lambda n: (-betweenness[n], -graph.degree(n), n))
        graph.remove_node(target)
        out.append((target, largest_component(graph) / start if start else 0.0))
    return out


def entity_refs(case_id: int, ids: set[int]) -> dict[int, dict]:
    """{id: {"id", "kind", "key", "label"}} with labels from this room only."""
    from casework.entities.models import CaseEntity

    labels = dict(CaseEntity.objects.filter(case_id=case_id, entity_id__in=ids)
                  .values_list("entity_id", "label"))
    return {e.pk: {"id": e.pk, "kind": e.kind, "key": e.key,
                   "label": labels.get(e.pk) or e.key}
            for e in Entity.objects.filter(pk__in=ids)}
