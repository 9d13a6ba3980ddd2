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
CREATE (s)-[l:__KIND__ {id: r.id}]->(t)
SET l.case_id = r.case_id, l.count = r.count, l.first_seen = r.first_seen_ms,
    l.last_seen = r.last_seen_ms, l.evidence_id = r.evidence_id, l.version = r.version
RETURN count(l) AS written
"""
UPSERT_LINKS = {kind: _UPSERT_LINKS.replace("__KIND__", kind) for kind in LINK_KINDS}

UPSERT_INVOLVEMENTS = """
UNWIND $rows AS r
MERGE (e:Entity {key: r.entity.key, kind: r.entity.kind})
MERGE (c:Case {id: r.case_id})
WITH r, e, c
OPTIONAL MATCH ()-[old:INVOLVED_IN {entity_id: r.entity_id, case_id: r.case_id}]->()
DELETE old
WITH r, e, c
CREATE (e)-[i:INVOLVED_IN {entity_id: r.entity_id, case_id: r.case_id}]->(c)
SET i.role = r.role
RETURN count(i) AS written
"""

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
