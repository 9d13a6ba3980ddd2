"""The graph port's contract, run on FalkorDB always and on a real Neo4j 5 when NEO4J_URI
is set (no Neo4j server can run on the development machines; `make test` then prints
"Neo4j contract suite: not run (NEO4J_URI unset)")."""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from pathlib import Path

import pytest

from linkanalysis.graph import driver, repository

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ["falkordb"] + (["neo4j"] if os.environ.get("NEO4J_URI") else [])


@pytest.fixture(params=ENGINES)
def engine(request, settings):
    if request.param == "falkordb":
        settings.GRAPH_NAME = f"contract-{uuid.uuid4().hex[:8]}"
    else:
        settings.GRAPH_URL = os.environ["NEO4J_URI"]
    driver.reset_engine()
    repository.ensure_schema()
    repository.delete_everything()
    yield request.param
    repository.delete_everything()
    driver.reset_engine()


def link(id_, source, target, count=1, version=1, kind="CALLED"):
    return {"id": id_, "case_id": 1, "kind": kind,
            "source": {"kind": "phone", "key": source}, "target": {"kind": "phone", "key": target},
            "count": count, "first_seen_ms": 1638561000000, "last_seen_ms": 1638562800000,
            "evidence_id": 9, "version": version}


def test_schema_is_idempotent(engine):
    repository.ensure_schema()
    repository.ensure_schema()


def test_links_upsert_by_id_and_replays_change_nothing(engine):
    repository.upsert_links([link(1, "+86a", "+86b", 2), link(2, "+86b", "+86c")])
    first = repository.dump_links()
    repository.upsert_links([link(1, "+86a", "+86b", 2), link(2, "+86b", "+86c")])
    assert repository.dump_links() == first
    assert repository.counts().links == 2 and repository.counts().entities == 3
    # a new state of link 1 (after a merge: another source) replaces the old one
    repository.upsert_links([link(1, "+86z", "+86b", 5, version=2)])
    assert ("CALLED", 1, "+86z", "+86b", 5, 2) in repository.dump_links()
    assert repository.counts().links == 2


def test_every_link_kind_and_involvements(engine):
    kinds = ["CALLED", "MET", "USES", "DRIVES", "SEEN_AT", "TRANSFERRED_TO", "CO_OFFENDED"]
    repository.upsert_links([link(n, f"s{n}", f"t{n}", kind=k) for n, k in enumerate(kinds)])
    assert {row[0] for row in repository.dump_links()} == set(kinds)
    with pytest.raises(ValueError):
        repository.upsert_links([link(99, "a", "b", kind="LOVES")])
    rows = [{"case_id": 1, "entity": {"kind": "phone", "key": "s0"}, "entity_id": 1,
             "role": "suspect"}]
    repository.upsert_involvements(rows)
    repository.upsert_involvements(rows)
    assert repository.counts().involvements == 1


def test_empty_graph_reads_as_empty(engine):
    assert repository.dump_links() == set()
    assert repository.counts().links == 0


def test_cypher_lives_only_in_the_graph_package():
    pattern = re.compile(r"\b(MATCH|MERGE|UNWIND)\s+[\(\$]|DETACH DELETE")
    offenders = []
    sources = [*(ROOT / "casework").rglob("*.py"), *(ROOT / "linkanalysis").rglob("*.py")]
    for path in sources:
        if (ROOT / "linkanalysis" / "graph") in path.parents:
            continue
        if pattern.search(path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_neo4j_linter_catches_errors():
    """The lint step is not a rubber stamp: a broken statement fails it."""
    bad = json.dumps([{"name": "BROKEN", "query": "MATCH (n) RETURN m", "parameters": []}])
    result = subprocess.run(["node", "linkanalysis/graph/neo4j_lint.mjs"], input=bad,
                            capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 1
    assert "ERROR BROKEN: Variable `m` not defined" in result.stdout
