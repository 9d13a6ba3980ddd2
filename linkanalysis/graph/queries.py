"""Every Cypher statement of Casework, as named constants; values only as $parameters.

Written in the subset Neo4j 5 and FalkorDB both run; where they must differ (DDL), both
texts stand side by side. Relationship types cannot be parameters in Cypher, so link
upserts are one statement per type, chosen from LINK_KINDS (never from input).
"""

from __future__ import annotations

LINK_KINDS = ("CALLED", "MET", "USES", "DRIVES", "SEEN_AT", "TRANSFERRED_TO", "CO_OFFENDED")

# Nodes: (:Entity {kind, key}) and (:Case {id}). Relationships carry the link's id, so a
# link re-drawn after a merge replaces its old relationship instead of adding one.
_UPSERT_LINKS = """
UNWIND $rows AS r
MERGE (s:Entity {key: r.source.key, kind: r.source.kind})
MERGE (t:Entity {key: r.target.key, kind: r.target.kind})
WITH r, s, t
OPTIONAL MATCH ()-[old:__KIND__ {id: r.id}]->()
DELETE old
WITH r, s, t
CREATE (s)-[l:__KIND__ {id: r.id, case_id: r.case_id, count: r.count,
    first_seen: r.first_seen_ms, last_seen: r.last_seen_ms, evidence_id: r.evidence_id,
    version: r.version}]->(t)
RETURN count(l) AS written
"""
# (The properties go in CREATE, not a SET after it: FalkorDB then skips an update pass,
# ~15 % of the statement; a null value leaves the property unset either way.)
UPSERT_LINKS = {kind: _UPSERT_LINKS.replace("__KIND__", kind) for kind in LINK_KINDS}

UPSERT_INVOLVEMENTS = """
UNWIND $rows AS r
MERGE (e:Entity {key: r.entity.key, kind: r.entity.kind})
MERGE (c:Case {id: r.case_id})
WITH r, e, c
OPTIONAL MATCH ()-[old:INVOLVED_IN]->(c)
WHERE old.entity_id = r.entity_id
DELETE old
WITH r, e, c
CREATE (e)-[i:INVOLVED_IN {entity_id: r.entity_id, case_id: r.case_id, role: r.role}]->(c)
RETURN count(i) AS written
"""
# The old involvement is looked up from its (bound) case node: FalkorDB then filters the
# entity_id index by end node, instead of reading every involvement of the entity — a hub
# phone has thousands (3× faster on the 1,000,000-link seed).

COUNT_LINKS = "MATCH ()-[l]->() WHERE type(l) <> 'INVOLVED_IN' RETURN count(l) AS n"
COUNT_INVOLVEMENTS = "MATCH ()-[i:INVOLVED_IN]->() RETURN count(i) AS n"
COUNT_ENTITIES = "MATCH (e:Entity) RETURN count(e) AS n"
DELETE_EVERYTHING = "MATCH (n) DETACH DELETE n"
PING = "RETURN 1 AS ok"
DUMP_LINKS = """
MATCH (s:Entity)-[l]->(t:Entity)
RETURN type(l) AS kind, l.id AS id, s.key AS source, t.key AS target, l.count AS count,
       l.version AS version
"""

# DDL differs: FalkorDB has no IF NOT EXISTS (an existing index is an error to ignore).
FALKORDB_SCHEMA = [
    "CREATE INDEX FOR (e:Entity) ON (e.key)",
    "CREATE INDEX FOR (c:Case) ON (c.id)",
    *[f"CREATE INDEX FOR ()-[l:{kind}]-() ON (l.id)" for kind in LINK_KINDS],
    "CREATE INDEX FOR ()-[i:INVOLVED_IN]-() ON (i.entity_id)",
]
NEO4J_SCHEMA = [
    "CREATE INDEX entity_key IF NOT EXISTS FOR (e:Entity) ON (e.key)",
    "CREATE INDEX case_id IF NOT EXISTS FOR (c:Case) ON (c.id)",
    *[f"CREATE INDEX link_{kind.lower()}_id IF NOT EXISTS FOR ()-[l:{kind}]-() ON (l.id)"
      for kind in LINK_KINDS],
    "CREATE INDEX involved_entity IF NOT EXISTS FOR ()-[i:INVOLVED_IN]-() ON (i.entity_id)",
]

# ---- analysis reads -------------------------------------------------------------------
# Times are epoch milliseconds (FalkorDB has no temporal functions); a link without a time
# passes any window.

# One hop out of a frontier of nodes: the expansion runs level by level, so the work per
# level is bounded by $limit instead of growing with the number of paths.
EXPAND_STEP = """
UNWIND $frontier AS f
MATCH (s:Entity {kind: f.kind, key: f.key})-[l]-(n:Entity)
WHERE type(l) IN $types
  AND coalesce(l.last_seen, $until) >= $since AND coalesce(l.first_seen, $since) <= $until
RETURN s.kind AS from_kind, s.key AS from_key, n.kind AS to_kind, n.key AS to_key,
       type(l) AS kind, l.id AS id, l.case_id AS case_id, l.count AS count,
       l.first_seen AS first_seen, l.last_seen AS last_seen, l.evidence_id AS evidence_id,
       startNode(l).kind AS source_kind, startNode(l).key AS source_key
LIMIT $limit
"""

# All shortest paths between two entities over entity links only (never through case
# nodes). The bound of a variable-length pattern cannot be a parameter: one text per depth.
# Both endpoints are bound first: FalkorDB runs allShortestPaths only between bound nodes
# (GRAPH-ENGINES.md); Neo4j's linter flags the two MATCHes as a cartesian product, which
# here is two single-node index lookups.
_PATHS = """
MATCH (a:Entity {kind: $source_kind, key: $source_key})
MATCH (b:Entity {kind: $target_kind, key: $target_key})
WITH a, b
MATCH p = allShortestPaths((a)-[:__KINDS__*..__DEPTH__]-(b))
RETURN [n IN nodes(p) | [n.kind, n.key]] AS nodes,
       [r IN relationships(p) | {id: r.id, kind: type(r), case_id: r.case_id,
        count: r.count, first_seen: r.first_seen, last_seen: r.last_seen,
        evidence_id: r.evidence_id, source_kind: startNode(r).kind,
        source_key: startNode(r).key}] AS links
LIMIT $limit
"""
MAX_PATH_DEPTH = 6
SHORTEST_PATHS = {
    depth: _PATHS.replace("__KINDS__", "|".join(LINK_KINDS)).replace("__DEPTH__", str(depth))
    for depth in range(1, MAX_PATH_DEPTH + 1)
}

# Series: the case's entities and, for each, the other cases it is involved in. An entity
# in very many cases (a parcel locker's phone) is reported with its count and no list.
SERIES_DIRECT = """
MATCH (c:Case {id: $case_id})<-[:INVOLVED_IN]-(e:Entity)-[:INVOLVED_IN]->(o:Case)
WHERE o.id <> $case_id
WITH e, collect(DISTINCT o.id) AS cases
RETURN e.kind AS kind, e.key AS key, size(cases) AS n_cases,
       CASE WHEN size(cases) <= $hub_cap THEN cases ELSE [] END AS cases
"""

# Two hops: a case entity (not a hub) linked to an entity of another case that is not
# itself one of this case's entities and not a hub.
SERIES_TWO_HOPS = """
MATCH (c:Case {id: $case_id})<-[:INVOLVED_IN]-(e:Entity)-[l]-(f:Entity)
WHERE type(l) IN $link_kinds AND NOT e.key IN $hubs AND NOT (f)-[:INVOLVED_IN]->(c)
WITH e, l, f
LIMIT $limit
MATCH (f)-[:INVOLVED_IN]->(o:Case)
WITH e, l, f, collect(DISTINCT o.id) AS cases
WHERE size(cases) <= $hub_cap
RETURN e.kind AS kind, e.key AS key, f.kind AS via_kind, f.key AS via_key,
       type(l) AS link_kind, l.case_id AS link_case, cases
"""

# Contacts of given entities (deep digging): CALLED and MET links, and the same through
# the phones a person USES.
CONTACTS = """
UNWIND $sources AS s
MATCH (p:Entity {kind: s.kind, key: s.key})
OPTIONAL MATCH (p)-[u:USES]-(ph:Entity {kind: 'phone'})
WITH p, collect(ph) + [p] AS selves, collect(u.case_id) AS use_cases
UNWIND selves AS me
MATCH (me)-[l:CALLED|MET]-(x:Entity)
WHERE NOT x IN selves
RETURN p.kind AS from_kind, p.key AS from_key, me.kind AS via_kind, me.key AS via_key,
       x.kind AS kind, x.key AS key, type(l) AS link_kind, l.case_id AS case_id,
       l.count AS count
LIMIT $limit
"""

# ---- seeding and benchmarks only (seed_scale, bench/) ---------------------------------
# Empty a graph slice by slice: one DETACH DELETE of the 1,000,000-link seed (a million
# nodes, two million relationships) holds FalkorDB, and with it Redis' main thread, for
# ~11 s — past GRAPH_TIMEOUT_S. (DELETE_EVERYTHING, used by rebuild, has the same problem
# at that size.)
DELETE_SOME = """
MATCH (n)
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
"""
