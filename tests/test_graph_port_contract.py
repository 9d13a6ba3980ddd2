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
    if request.param == "falkordb":
        # the test's own graph goes (a long-lived development server would collect one per
        # test)
        driver.get_engine().delete_graph()
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


def involved(case_id, key, kind="phone"):
    return {"case_id": case_id, "entity": {"kind": kind, "key": key}, "entity_id": 0,
            "role": ""}


def test_expand_step_is_one_hop_undirected_filtered_and_limited(engine):
    repository.upsert_links([link(1, "a", "b"), link(2, "c", "a"), link(3, "b", "d"),
                             {**link(4, "a", "e", kind="USES"), "first_seen_ms": None,
                              "last_seen_ms": None}])
    rows = repository.expand_step([("phone", "a")], types=["CALLED", "USES"], since_ms=None,
                                  until_ms=None, limit=10, timeout_ms=5000)
    assert sorted(r["to_key"] for r in rows) == ["b", "c", "e"]
    incoming = next(r for r in rows if r["id"] == 2)
    assert (incoming["source_key"], incoming["from_key"]) == ("c", "a")
    only_called = repository.expand_step([("phone", "a")], types=["CALLED"], since_ms=None,
                                         until_ms=None, limit=10, timeout_ms=5000)
    assert sorted(r["to_key"] for r in only_called) == ["b", "c"]
    # a window after the calls keeps only the undated link
    later = repository.expand_step([("phone", "a")], types=["CALLED", "USES"],
                                   since_ms=1638562800001, until_ms=None, limit=10,
                                   timeout_ms=5000)
    assert [r["to_key"] for r in later] == ["e"]
    assert len(repository.expand_step([("phone", "a")], types=["CALLED"], since_ms=None,
                                      until_ms=None, limit=1, timeout_ms=5000)) == 1


def test_shortest_paths_over_entity_links_only(engine):
    repository.upsert_links([link(1, "a", "b"), link(2, "b", "c"), link(3, "a", "x"),
                             link(4, "x", "c"), link(5, "c", "d")])
    # a short cut through a case node must not count
    repository.upsert_involvements([involved(7, "a"), involved(7, "d")])
    rows = repository.shortest_paths(("phone", "a"), ("phone", "d"), max_depth=6, limit=10,
                                     timeout_ms=5000)
    assert len(rows) == 2 and all(len(r["links"]) == 3 for r in rows)
    assert {tuple(k for _, k in r["nodes"]) for r in rows} == {("a", "b", "c", "d"),
                                                              ("a", "x", "c", "d")}
    assert repository.shortest_paths(("phone", "a"), ("phone", "d"), max_depth=2, limit=10,
                                     timeout_ms=5000) == []


def test_series_reads(engine):
    repository.upsert_links([link(1, "shared", "friend"), link(2, "lonely", "x")])
    repository.upsert_involvements([involved(1, "shared"), involved(2, "shared"),
                                    involved(3, "friend"), involved(1, "lonely"),
                                    *[involved(100 + i, "hub") for i in range(5)],
                                    involved(1, "hub")])
    direct = {r["key"]: r for r in repository.series_direct(1, hub_cap=3, timeout_ms=5000)}
    assert direct["shared"]["cases"] == [2] and direct["shared"]["n_cases"] == 1
    assert direct["hub"]["n_cases"] == 5 and direct["hub"]["cases"] == []
    two = repository.series_two_hops(1, hubs=["hub"], hub_cap=3, limit=100, timeout_ms=5000)
    assert [(r["key"], r["via_key"], r["cases"]) for r in two] == [("shared", "friend", [3])]


def test_contacts_through_used_phones(engine):
    person = {"kind": "person", "key": "p1"}
    repository.upsert_links([
        {**link(1, "x", "x"), "kind": "USES", "source": person,
         "target": {"kind": "phone", "key": "own"}},
        link(2, "own", "friend", count=9), link(3, "other", "own", count=2)])
    rows = repository.contacts([("person", "p1")], limit=100, timeout_ms=5000)
    assert sorted((r["key"], r["count"]) for r in rows) == [("friend", 9), ("other", 2)]
