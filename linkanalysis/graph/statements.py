"""Every Neo4j-dialect Cypher statement in linkanalysis.graph.queries, read from the module
itself (not a copy), for the Neo4j linter: `python -m linkanalysis.graph.statements`."""

from __future__ import annotations

import json
import re
import sys

from linkanalysis.graph import queries

# FalkorDB's own DDL is not Neo4j's dialect; everything else must be
NOT_NEO4J = {"FALKORDB_SCHEMA"}


def neo4j_statements() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in vars(queries).items():
        # _TEMPLATES hold placeholders; their expansions (e.g. SHORTEST_PATHS) are linted
        if (not name.isupper() or name.startswith("_") or name in NOT_NEO4J
                or name == "LINK_KINDS"):
            continue
        if isinstance(value, str):
            found[name] = value
        elif isinstance(value, dict):
            found.update({f"{name}[{k}]": v for k, v in value.items()})
        elif isinstance(value, list):
            found.update({f"{name}[{i}]": v for i, v in enumerate(value)})
    return found


def main() -> None:
    out = [{"name": name, "query": text, "parameters": sorted(set(re.findall(r"\$(\w+)", text)))}
           for name, text in neo4j_statements().items()]
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
