"""Link-analysis read paths, each checked at the rooms' choke point."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from casework.rooms.access import check_case_for_user, get_case_for_user
from casework.rooms.choices import CasePerm
from linkanalysis import analysis, explore, series, visibility
from linkanalysis.graph import repository


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


def expand_for(*, user, entity_id, **options) -> dict:
    """1–3 hops around an entity the user met in a room they may open."""
    return explore.expand(user, entity_id, **options)


def paths_for(*, user, source, target, max_depth: int = 6) -> dict:
    return explore.paths(user, source, target, max_depth=max_depth)


def series_for(*, user, case_id: int) -> dict:
    # only the id is needed: the check without building the case (~1 ms a request)
    return series.series_for_case(user, check_case_for_user(user, case_id, CasePerm.ANALYSE))


def groups_for(*, user, case_id: int) -> dict:
    """Louvain groups over the room's network joined with the networks of the series
    cases the user may open (a closed room's entities never enter a group)."""
    case = get_case_for_user(user, case_id, CasePerm.ANALYSE)
    found = series.series_for_case(user, case.pk)
    linked = tuple(r["case"]["id"] for r in found["results"] if r["case"])
    graph = analysis.room_network(case.pk, also=linked)
    found_groups = analysis.groups(graph)
    refs = analysis.entity_refs(case.pk, set(graph.nodes))
    results = []
    for number, members in enumerate(found_groups, start=1):
        sub = graph.subgraph(members)
        links = sorted(i for _a, _b, ids in sub.edges(data="links") for i in ids)
        results.append({"id": number, "size": len(members),
                        "members": [refs[m] for m in sorted(members)], "links": links})
    return {"results": results, "cases": [case.pk, *linked]}


def deep_dig_for(*, user, case_id: int, sources: list[int] | None = None,
                 limit: int = 20) -> dict:
    """From the case's arrested persons (its suspects until someone is arrested; or the
    given entities of the room), their most frequent contacts that are not yet in the
    case: CALLED and MET links, directly or through the phones they use, in rooms the user
    may open, ranked by how often."""
    from casework.dispatch.models import Arrest
    from casework.entities.models import CaseEntity

    case = get_case_for_user(user, case_id, CasePerm.ANALYSE)
    in_case = CaseEntity.objects.filter(case=case).select_related("entity")
    basis = "given"
    if sources:
        in_case = in_case.filter(entity_id__in=sources)
    else:
        arrested = (Arrest.objects.filter(case=case, drill=False, person__isnull=False)
                    .values("person_id"))
        basis = "arrested" if arrested.exists() else "suspects"
        in_case = (in_case.filter(entity_id__in=arrested) if basis == "arrested"
                   else in_case.filter(entity__kind="person", role="suspect"))
    starts = {}
    for ce in in_case:
        shown = ce.entity.merged_into or ce.entity
        starts[(shown.kind, shown.key)] = ce
    rows = repository.contacts(list(starts), limit=5000,
                               timeout_ms=settings.GRAPH_QUERY_BUDGET_MS) if starts else []
    open_ids = visibility.open_cases(user, {int(r["case_id"]) for r in rows})
    room = {(ce.entity.kind, ce.entity.key) for ce in
            CaseEntity.objects.filter(case=case).select_related("entity")}
    tally: dict[tuple, dict] = {}
    for r in rows:
        contact = (r["kind"], r["key"])
        if int(r["case_id"]) not in open_ids or contact in room:
            continue
        entry = tally.setdefault(contact, {"count": 0, "via": set(), "cases": set()})
        entry["count"] += int(r["count"] or 1)
        entry["via"].add((r["from_kind"], r["from_key"]))
        entry["cases"].add(int(r["case_id"]))
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1]["count"], kv[0]))[:limit]
    refs = visibility.node_refs(user, {c for c, _e in ranked} | set(starts),
                                case_ids=list(set(open_ids) | {case.pk}))
    return {
        "basis": basis,
        "sources": [refs[s] for s in starts if s in refs],
        "results": [{"entity": refs[c], "count": e["count"],
                     "via": [refs[v] for v in sorted(e["via"]) if v in refs],
                     "cases": [{"id": i, "number": open_ids[i]["number"]}
                               for i in sorted(e["cases"])]}
                    for c, e in ranked if c in refs],
    }
