"""One graph engine connection per process, from settings.GRAPH_URL."""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from linkanalysis.graph.port import GraphEngine, GraphTimeout

log = logging.getLogger(__name__)
_lock = threading.Lock()
_engine: GraphEngine | None = None


class FalkorEngine:
    """FalkorDB through its native client (never its Bolt port: see GRAPH-ENGINES.md)."""

    name = "falkordb"

    def __init__(self, url: str, graph_name: str, timeout_s: float = 2.0):
        from falkordb import FalkorDB

        parts = urlsplit(url)
        self._db = FalkorDB(host=parts.hostname, port=parts.port or 6379,
                            password=parts.password, socket_timeout=timeout_s,
                            socket_connect_timeout=timeout_s)
        self._graph = self._db.select_graph(graph_name)

    def ping(self) -> None:
        self._graph.query("RETURN 1")

    def delete_graph(self) -> None:
        """Remove the graph with its indexes (an emptied graph keeps both)."""
        self._graph.delete()

    def _run(self, query: str, params: dict[str, Any] | None, read_only: bool,
             timeout_ms: int | None = None) -> list[dict]:
        if read_only:
            try:
                result = self._graph.ro_query(query, params or {}, timeout=timeout_ms)
            except Exception as exc:
                if "timed out" in str(exc).lower():
                    raise GraphTimeout(str(exc)) from exc
                raise
        else:
            result = self._graph.query(query, params or {})
        header = [h[1] if isinstance(h, list | tuple) else h for h in result.header]
        return [dict(zip(header, row, strict=True)) for row in result.result_set]

    def read(self, query, params=None, timeout_ms=None):
        try:
            return self._run(query, params, read_only=True, timeout_ms=timeout_ms)
        except Exception as exc:
            # FalkorDB creates a graph on its first write; before that, reads find nothing
            if "empty key" in str(exc):
                return []
            raise

    def write(self, query, params=None):
        return self._run(query, params, read_only=False)

    def close(self) -> None:
        self._db.connection.close()


class Neo4jEngine:
    """Neo4j 5 through the official driver (production default)."""

    name = "neo4j"

    def __init__(self, url: str, database: str | None = None, timeout_s: float = 2.0):
        import neo4j

        parts = urlsplit(url)
        auth = (parts.username, parts.password) if parts.username else None
        clean = url.replace(f"{parts.username}:{parts.password}@", "") if auth else url
        self._driver = neo4j.GraphDatabase.driver(clean, auth=auth,
                                                  connection_timeout=timeout_s)
        self._database = database

    def ping(self) -> None:
        self._driver.verify_connectivity()

    def read(self, query, params=None, timeout_ms=None):
        import neo4j

        text = neo4j.Query(query, timeout=timeout_ms / 1000) if timeout_ms else query
        try:
            records, _, _ = self._driver.execute_query(
                text, params or {}, database_=self._database, routing_="r")
        except neo4j.exceptions.ClientError as exc:
            if "TransactionTimedOut" in (exc.code or ""):
                raise GraphTimeout(str(exc)) from exc
            raise
        return [r.data() for r in records]

    def write(self, query, params=None):
        records, _, _ = self._driver.execute_query(
            query, params or {}, database_=self._database, routing_="w")
        return [r.data() for r in records]

    def close(self) -> None:
        self._driver.close()


def engine_for_url(url: str, graph_name: str) -> GraphEngine:
    scheme = urlsplit(url).scheme
    timeout = getattr(settings, "GRAPH_TIMEOUT_S", 10)
    if scheme == "falkordb":
        return FalkorEngine(url, graph_name, timeout)
    if scheme in {"bolt", "neo4j", "bolt+s", "neo4j+s"}:
        return Neo4jEngine(url, timeout_s=timeout)
    raise ValueError(f"no graph adapter for {scheme!r}")


def reset_engine() -> None:
    """Forget the process's connection (after GRAPH_URL changed, or in tests)."""
    global _engine
    with _lock:
        if _engine is not None:
            try:
                _engine.close()
            except Exception:  # closing a connection to a server that is gone
                log.debug("closing the graph connection failed", exc_info=True)
        _engine = None


def get_engine() -> GraphEngine:
    global _engine
    with _lock:
        if _engine is None:
            _engine = engine_for_url(settings.GRAPH_URL, settings.GRAPH_NAME)
        return _engine
