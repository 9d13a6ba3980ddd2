"""The graph port: what the rest of linkanalysis may ask of a graph engine.

Adapters: FalkorDB (falkordb client; embedded default and tests) and Neo4j 5 (official
driver; production). Chosen by GRAPH_URL's scheme. Only this package imports either
client or holds Cypher text.
"""

from __future__ import annotations

from typing import Any, Protocol


class GraphEngine(Protocol):
    name: str

    def ping(self) -> None: ...

    def read(self, query: str, params: dict[str, Any] | None = None,
             timeout_ms: int | None = None) -> list[dict]:
        """Run a read-only statement; past `timeout_ms` the engine aborts it and this
        raises GraphTimeout."""

    def write(self, query: str, params: dict[str, Any] | None = None) -> list[dict]: ...

    def close(self) -> None: ...


class GraphTimeout(RuntimeError):
    """A read ran past its time budget and was aborted by the engine."""
