"""`make demo`'s stack, for real: embedded PostgreSQL and Redis+FalkorDB from their wheels,
migrations, the demo, ASGI server, Celery worker and beat. /healthz answers 200; stopping
Redis and then PostgreSQL turns it into 503 naming them; one SIGINT to the process group
(what Ctrl-C sends) stops everything."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.stack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def group_processes(pgid: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found


def descendant(parent: psutil.Process, name: str) -> psutil.Process:
    for child in parent.children(recursive=True):
        if name in " ".join(child.cmdline()):
            return child
    raise AssertionError(f"no {name} process under the demo")


def test_demo_stack_serves_reports_failures_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "GRAPH_URL", "SECRET_KEY")}
    log = open(tmp_path / "demo.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "casework.devstack", "demo", "--port", str(port),
         "--data", str(tmp_path / "demo")],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    pgid = proc.pid
    try:
        deadline = time.monotonic() + 240
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                status, body = healthz(port)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(1)
        assert status == 200, (tmp_path / "demo.log").read_text()[-3000:]
        assert body["database"] == "ok" and body["redis"] == "ok" and body["graph"] == "ok"
        # the demo's links wait in the outbox until the graph sync drains them
        assert isinstance(body["outbox_lag"]["rows"], int)
        assert isinstance(body["outbox_lag"]["oldest_age_s"], float)

        supervisor = psutil.Process(proc.pid)
        descendant(supervisor, "redis-server").terminate()
        time.sleep(1)
        status, body = healthz(port)
        assert status == 503
        assert "redis" in body["failed"] and "database" not in body["failed"]
        assert body["redis"].startswith("unreachable")

        # fast shutdown: a smart one would wait for the server's open connections
        descendant(supervisor, "postgres -D").send_signal(signal.SIGINT)
        time.sleep(2)
        status, body = healthz(port)
        assert status == 503
        assert "database" in body["failed"]
    finally:
        os.killpg(pgid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            raise
        deadline = time.monotonic() + 20
        while group_processes(pgid) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [(p.pid, p.cmdline()) for p in group_processes(pgid)]
        if left:
            os.killpg(pgid, signal.SIGKILL)
        assert not left, f"Ctrl-C left processes running: {left}"
        log.close()
    output = (tmp_path / "demo.log").read_text()
    assert "Casework is up: http://127.0.0.1:" in output
    assert "casework-demo" in output
