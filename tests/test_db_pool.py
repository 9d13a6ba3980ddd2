"""The ASGI server pools its database connections (settings.DB_POOL_MAX_SIZE, turned on by
casework/asgi.py): a run of API requests does not open a connection each."""

from __future__ import annotations

import time

import httpx
import psycopg
import pytest
from django.db import connection

from tests.live import test_database_url as database_url

pytestmark = pytest.mark.stack


def _sessions() -> int:
    """Sessions ever established to the test database (PostgreSQL's statistics)."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cur.fetchone()[0]


def _sessions_settled(at_least: int = 0) -> int:
    # a backend's counts reach the statistics when it ends or idles for a moment
    deadline = time.monotonic() + 5
    while _sessions() < at_least and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.2)
    return _sessions()


def test_the_asgi_server_reuses_its_database_connections(asgi_server, live_people):
    with httpx.Client(base_url=asgi_server.http) as client:
        token = client.post("/api/auth/token/", json={
            "username": "member", "password": "correct horse battery staple"}).json()["token"]
        headers = {"Authorization": f"Token {token}"}
        assert client.get("/api/cases/", headers=headers).status_code == 200
        before = _sessions_settled()
        for _ in range(20):
            assert client.get("/api/cases/", headers=headers).status_code == 200
        pooled = _sessions_settled() - before

    # the count does see connections: ten opened and closed here
    start = _sessions()
    for _ in range(10):
        psycopg.connect(database_url()).close()
    assert _sessions_settled(start + 10) - start >= 10
    assert pooled < 5, f"{pooled} new database sessions for 20 requests"
