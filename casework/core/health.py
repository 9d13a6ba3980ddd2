"""Component checks for /healthz. Each returns (ok, detail)."""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.db import connection


def check_database() -> tuple[bool, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        connection.close_if_unusable_or_obsolete()
        return False, f"unreachable: {type(exc).__name__}"
    return True, "ok"


def check_redis() -> tuple[bool, Any]:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except Exception as exc:
        return False, f"unreachable: {type(exc).__name__}"
    finally:
        client.close()
    return True, "ok"


def outbox_lag() -> tuple[bool, Any]:
    """Rows waiting for the graph and the age of the oldest, in seconds.

    Lag is information, not a failure: the rooms keep working while the graph catches up.
    """
    from casework.core.outbox import lag

    try:
        rows, oldest_age_s = lag()
    except Exception as exc:
        return True, {"rows": None, "oldest_age_s": None, "error": type(exc).__name__}
    return True, {"rows": rows, "oldest_age_s": oldest_age_s}
