"""The graph's part of /healthz."""

from __future__ import annotations

from typing import Any

from linkanalysis.graph.driver import get_engine


def check_graph() -> tuple[bool, Any]:
    try:
        get_engine().ping()
    except Exception as exc:
        return False, f"unreachable: {type(exc).__name__}"
    return True, "ok"
