"""GraphML for the room's network (`?format=graphml`): i2 Analyst's Notebook, Gephi and
yEd read it. Written by networkx, not by hand."""

from __future__ import annotations

import networkx as nx
from rest_framework.renderers import BaseRenderer


class GraphMLRenderer(BaseRenderer):
    media_type = "application/graphml+xml"
    format = "graphml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response = (renderer_context or {}).get("response")
        if not isinstance(data, dict) or "nodes" not in data or (
                response is not None and response.status_code >= 400):
            # an error: plain text, for a download link there is nothing better to show
            return str((data or {}).get("detail", data)).encode()
        graph = nx.MultiDiGraph()
        for node in data["nodes"]:
            graph.add_node(node["id"], kind=node["kind"], key=node["key"],
                           label=node["label"], role=node.get("role", ""))
        for edge in data["edges"]:
            evidence = edge.get("evidence") or {}
            graph.add_edge(edge["source"], edge["target"], key=edge["id"],
                           link_id=edge["id"], kind=edge["kind"], count=edge["count"],
                           evidence_id=evidence.get("id", 0),
                           evidence=evidence.get("description", ""),
                           first_seen=edge["first_seen"] or "",
                           last_seen=edge["last_seen"] or "")
        if response is not None:
            case = renderer_context.get("kwargs", {}).get("case_pk", "")
            response["Content-Disposition"] = f'attachment; filename="case-{case}.graphml"'
        return "\n".join(nx.generate_graphml(graph)).encode()
